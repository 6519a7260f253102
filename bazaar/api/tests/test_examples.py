"""Every example of the schema, and every request example of the docs, succeeds on the demo data
that `make run` loads (SPEC §2). Before, the schema's `POST /api/orders/` examples and those of
docs/one-call-orders.md named city 40 in state 8 (it is not there), option value 31 and SKU
`sku123` (neither exists).

The demo data is loaded as `make run` loads it (`seed_demo`, on a fresh database: ids reset),
then each example goes through DRF's test client as an Admin.
"""

import ast
import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from bazaar.accounts.models import User
from bazaar.conftest import client_for

ROOT = Path(__file__).resolve().parents[3]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BASE = "http://127.0.0.1:8000"

pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)


@pytest.fixture
def demo():
    """What `make run` does on a fresh database: the Admin first, then the demo data."""
    call_command("ensure_admin", verbosity=0, stdout=StringIO())
    call_command("seed_demo", "--once", "--orders", "3", verbosity=0, stdout=StringIO())
    return client_for(User.objects.get(username="admin"))


def schema_examples(client) -> list[tuple[str, str, str, object]]:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                for name, example in media.get("examples", {}).items():
                    found.append((name, method, path, example["value"]))
    return found


def test_every_schema_example_succeeds_on_the_demo_data(demo):
    examples = schema_examples(demo)
    assert len(examples) >= 3
    for name, method, path, body in examples:
        assert "{" not in path, f"{name}: examples of paths with ids need an id"
        response = demo.generic(method.upper(), path, json.dumps(body), "application/json")
        assert response.status_code in (200, 201), (name, response.content)


# --- the docs ----------------------------------------------------------------------------------


def code_blocks(text: str) -> list[tuple[str, str]]:
    return re.findall(r"```(\w*)\n(.*?)```", text, flags=re.DOTALL)


def curl_requests(block: str) -> list[tuple[str, str, object]]:
    """(method, path, JSON body or None) of every `curl` to the local API in a shell block."""
    found = []
    for command in re.split(r"\n(?=curl )", block):
        url = re.search(rf"{re.escape(BASE)}(/api/[^\s'\"]*)", command)
        if not command.startswith("curl") or url is None:
            continue
        method = re.search(r"-X (\w+)", command)
        body = re.search(r"-d '(.*?)'", command, flags=re.DOTALL)
        found.append(
            (
                method.group(1) if method else ("POST" if body else "GET"),
                url.group(1),
                json.loads(body.group(1)) if body else None,
            )
        )
    return found


def python_requests(block: str) -> list[tuple[str, str, object, dict]]:
    """(method, URL template, json body, params) of every `requests.<method>(...)` call."""
    found = []
    for node in ast.walk(ast.parse(block)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in {"get", "post", "put", "patch", "delete"} or not node.args:
            continue
        owner = node.func.value
        if not (isinstance(owner, ast.Name) and owner.id in {"requests", "httpx"}):
            continue
        url = node.args[0]
        if isinstance(url, ast.JoinedStr):
            template = "".join(
                part.value
                if isinstance(part, ast.Constant)
                else "{" + ast.unparse(part.value) + "}"
                for part in url.values
            )
        else:
            template = ast.literal_eval(url)
        keywords = {k.arg: k.value for k in node.keywords}
        body = ast.literal_eval(keywords["json"]) if "json" in keywords else None
        params = ast.literal_eval(keywords["params"]) if "params" in keywords else {}
        found.append((node.func.attr.upper(), template, body, params))
    return found


def resolve(template: str, last_order: int | None) -> str:
    url = template.replace("{API}", f"{BASE}/api")
    url = re.sub(r"\{order\[['\"]id['\"]\]\}", str(last_order), url)
    assert "{" not in url, f"unresolved placeholder in {template}"
    return url.removeprefix(BASE)


def doc_requests() -> list[tuple[str, str, str, object, dict]]:
    found = []
    for doc in DOCS:
        for language, block in code_blocks(doc.read_text()):
            if language in {"sh", "bash", "shell"}:
                found += [(doc.name, m, p, b, {}) for m, p, b in curl_requests(block)]
            elif language == "python":
                found += [(doc.name, m, p, b, q) for m, p, b, q in python_requests(block)]
    return found


def test_the_docs_have_request_examples():
    names = {doc for doc, *_ in doc_requests()}
    assert {"README.md", "one-call-orders.md"} <= names


def test_every_docs_example_succeeds_on_the_demo_data(demo):
    requests = doc_requests()
    assert len(requests) >= 5
    assert any("?" in path for _doc, _m, path, _b, _q in requests)
    last_order = None
    for doc, method, template, body, params in requests:
        path = resolve(template, last_order)
        if params:
            response = demo.get(path, params)
        elif body is None:
            response = demo.generic(method, path)  # the query string stays that of the path
        else:
            response = demo.generic(method, path, json.dumps(body), "application/json")
        assert response.status_code in (200, 201, 204), (doc, method, path, response.content)
        if path.rstrip("/").endswith("/api/orders") and method == "POST":
            last_order = response.json()["id"]
