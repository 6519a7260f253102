"""Regression tests for what schema-driven fuzzing (tools/fuzz.sh, docs/reliability.md) found.

- The schema declared only the success response of each operation, so every 400/401/403/404/...
  the server correctly sends was "undocumented" (schemathesis ST103).
- A Persian product slug (`پازل-۱۰۰۰-تکه`) "violated" the schema: drf-spectacular copies
  Django's Python pattern `^[-\\w]+$`, whose `\\w` is ASCII-only in ECMA regexes (ST108).
- Related ids (`customer`, `payment_method`, ...) were typed as strings; the API takes integers.
- An Admin could deactivate or demote themselves (a fuzzed `PATCH /api/users/{own id}/` locked the
  run's own token out of the back office).
"""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from bazaar.accounts.models import User
from bazaar.api.schema import (
    ERROR_RESPONSES,
    postprocess_ecma_patterns,
    postprocess_error_responses,
    postprocess_exact_schema,
)
from bazaar.conftest import client_for

HOOKS = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "bazaar.api.schema.postprocess_error_responses",
    "bazaar.api.schema.postprocess_ecma_patterns",
    "bazaar.api.schema.postprocess_exact_schema",
]
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema(db):
    result = SchemaGenerator().get_schema(request=None, public=True)
    result = postprocess_error_responses(result, generator=None, request=None, public=True)
    result = postprocess_ecma_patterns(result, generator=None, request=None, public=True)
    return postprocess_exact_schema(result, generator=None, request=None, public=True)


def api_operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if path.startswith("/api/") and method in METHODS:
                yield f"{method.upper()} {path}", operation


def test_every_operation_declares_every_error_response(schema):
    operations = dict(api_operations(schema))
    assert len(operations) > 80
    for label, operation in operations.items():
        missing = set(ERROR_RESPONSES) - set(operation["responses"])
        assert not missing, f"{label} lacks {sorted(missing)}"
        for status in ERROR_RESPONSES:
            content = operation["responses"][status]["content"]["application/json"]
            assert content["schema"]["$ref"].startswith("#/components/schemas/")
    components = schema["components"]["schemas"]
    assert components["ErrorDetail"]["required"] == ["detail"]
    assert components["ValidationErrors"]["type"] == "object"


def test_declared_success_responses_are_kept(schema):
    token = schema["paths"]["/api/auth/token/"]["post"]["responses"]
    assert "200" in token
    orders = schema["paths"]["/api/orders/"]["post"]["responses"]
    assert "201" in orders


def patterns(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return found + [p for value in node.values() for p in patterns(value)]
    if isinstance(node, list):
        return [p for value in node for p in patterns(value)]
    return []


def test_no_python_only_regex_is_left(schema, monkeypatch):
    from drf_spectacular.settings import spectacular_settings

    assert r"^[-\w]+$" not in patterns(schema)
    monkeypatch.setattr(spectacular_settings, "POSTPROCESSING_HOOKS", [])
    raw = SchemaGenerator().get_schema(request=None, public=True)
    assert r"^[-\w]+$" in patterns(raw)  # drf-spectacular does emit it (the hook is needed)


def test_no_pattern_uses_an_escape_whose_meaning_differs_between_python_and_ecma(schema):
    r"""`\w`, `\d`, `\s`, `\b` (and their negations) are Unicode-wide in Python's `re` and ASCII
    (or another set) in ECMA-262: the username pattern `^[\w.@+-]+$` made a returned `nï` a
    schema violation (schemathesis ST108)."""
    assert [p for p in patterns(schema) if re.search(r"\\[wWdDsSbB]", p)] == []


def test_related_ids_are_integers(schema):
    order = schema["components"]["schemas"]["OrderWriteRequest"]["properties"]
    for name in ("payment_method", "shipping_method", "billing_country", "billing_city"):
        assert order[name]["type"] == "integer", name
    customer_forms = [form.get("type") or form.get("$ref") for form in order["customer"]["oneOf"]]
    # ... and null, written so that a strict OpenAPI 3.0 validator admits it (test_schema_exact).
    assert customer_forms == ["integer", "#/components/schemas/InlineCustomerRequest", "object"]


def test_the_served_schema_uses_the_hooks_once_registered(admin_client, monkeypatch):
    """What `SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = HOOKS` in settings does to /api/schema/
    (drf-spectacular caches its settings, so they are patched where it reads them)."""
    from django.utils.module_loading import import_string
    from drf_spectacular.settings import spectacular_settings

    monkeypatch.setattr(
        spectacular_settings, "POSTPROCESSING_HOOKS", [import_string(h) for h in HOOKS]
    )
    response = admin_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    served = response.json()
    assert set(ERROR_RESPONSES) <= set(served["paths"]["/api/orders/"]["get"]["responses"])
    assert r"^[-\w]+$" not in patterns(served)


# --- nobody locks themselves out -------------------------------------------------------------


@pytest.mark.parametrize(
    "change", [{"is_active": False}, {"is_superuser": False}, {"is_staff": False}]
)
def test_regression_admin_cannot_deactivate_or_demote_themselves(admin_client, admin_user, change):
    response = admin_client.patch(f"/api/users/{admin_user.pk}/", change, format="json")
    assert response.status_code == 409, response.content
    assert "yourself" in response.json()["detail"]
    admin_user.refresh_from_db()
    assert admin_user.is_active and admin_user.is_superuser and admin_user.is_staff
    assert admin_client.get("/api/auth/me/").status_code == 200


def test_admin_can_put_their_own_get_body_back(admin_client, admin_user):
    body = admin_client.get(f"/api/users/{admin_user.pk}/").json()
    body.pop("password", None)
    response = admin_client.put(f"/api/users/{admin_user.pk}/", body, format="json")
    assert response.status_code == 200, response.content
    patched = admin_client.patch(
        f"/api/users/{admin_user.pk}/", {"first_name": "Root", "is_active": True}, format="json"
    )
    assert patched.status_code == 200, patched.content


def test_admin_still_deactivates_another_admin(admin_client):
    other = User.objects.create_superuser("root2", "root2@example.com", "pw-Admin-456")
    response = admin_client.patch(f"/api/users/{other.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False


def test_staff_cannot_deactivate_themselves(staff_with_codes):
    client = staff_with_codes(1004)
    response = client.patch(f"/api/users/{client.user.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 409, response.content
    client.user.refresh_from_db()
    assert client.user.is_active
    assert client_for(client.user).get("/api/auth/me/").status_code == 200


# --- tools/fuzz_hooks.py: which "accepted negative data" failures are dropped ---------------------


def _fuzz_hooks():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "tools" / "fuzz_hooks.py"
    spec = importlib.util.spec_from_file_location("fuzz_hooks_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Parameters(dict):
    def get_parameter_set(self, location):
        return self


class _Parameter:
    def __init__(self, definition):
        self.definition = definition


ID_ARRAY = {"schema": {"type": "array", "items": {"type": "integer", "minimum": 1}},
            "style": "form", "explode": False, "allowEmptyValue": True}  # fmt: skip
TAG_ARRAY = {"schema": {"type": "array", "items": {"type": "string", "pattern": "^[^,]*[^, ][^,]*$"}},
             "style": "form", "explode": False, "allowEmptyValue": True}  # fmt: skip
BOOLEAN = {"schema": {"type": "boolean"}}


@pytest.mark.parametrize(
    ("definition", "texts", "valid"),
    [
        (ID_ARRAY, ["40"], True),  # the integer 40, sent as the wire form of [40]
        (ID_ARRAY, ["1,2"], True),
        (ID_ARRAY, [""], True),  # allowEmptyValue
        (ID_ARRAY, ["0"], False),  # below the minimum
        (ID_ARRAY, ["1.0"], False),  # not an integer's plain form: kept
        (ID_ARRAY, ["{}"], False),
        (TAG_ARRAY, ["{},[1, 2]"], True),  # an object's text is a fine label
        (TAG_ARRAY, ["a, "], False),  # a blank label
        (BOOLEAN, [""], False),  # no allowEmptyValue
        (BOOLEAN, ["true"], True),
        (BOOLEAN, ["yes"], False),
    ],
)
def test_the_fuzz_hook_drops_only_failures_whose_text_is_valid(definition, texts, valid):
    hooks = _fuzz_hooks()

    class Case:
        operation = _Parameters(p=_Parameter(definition))

    assert hooks._sent_as_valid(Case, "p", texts) is valid
