"""Request bodies are read whole however they are framed (SPEC §2, issue 13): a body sent with
`Transfer-Encoding: chunked` (Python `requests` with a generator body) through the real server,
gunicorn, gives what the same body with a Content-Length gives, and the limits hold for it.

Was: gunicorn passes no CONTENT_LENGTH for a chunked body, Django read it as empty, and
`POST /api/orders/` answered 201 with customer, notes and extra lost."""

import io
from collections.abc import Iterator

import orjson
import pytest
import requests
from django.db import connection
from knox.models import AuthToken

from bazaar.accounts.models import User
from bazaar.api.tests.live_server import LiveServer, gunicorn, pytest_database_url
from bazaar.customers.models import Customer
from bazaar.media.models import Image
from bazaar.media.tests.factories import image_bytes
from bazaar.orders.models import Order

pytestmark = pytest.mark.django_db(transaction=True)

IMAGE_LIMIT = 200_000  # the server's IMAGE_MAX_BYTES here, so an oversize upload is cheap


def live_database_url() -> str:
    if connection.vendor == "postgresql":
        return pytest_database_url()
    return f"sqlite:///{connection.settings_dict['NAME']}"  # the test database's file


@pytest.fixture
def server(tmp_path) -> Iterator[LiveServer]:
    with gunicorn(
        tmp_path,
        {"DATABASE_URL": live_database_url(), "IMAGE_MAX_BYTES": str(IMAGE_LIMIT)},
        "--workers", "1", "--worker-class", "gthread", "--threads", "2",
    ) as live:  # fmt: skip
        yield live


@pytest.fixture
def token(db) -> str:
    admin = User.objects.create_superuser("chunky", "chunky@example.com", None)
    return AuthToken.objects.create(admin)[1]


def chunks(body: bytes, size: int = 1000) -> Iterator[bytes]:
    """A generator body: `requests` sends it chunked, with no Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def send(server: LiveServer, method: str, path: str, token: str, body: bytes, content_type: str):
    response = requests.request(
        method,
        f"http://127.0.0.1:{server.port}{path}",
        data=chunks(body),
        headers={"Authorization": f"Token {token}", "Content-Type": content_type},
        timeout=60,
    )
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in response.request.headers
    return response


def test_regression_a_chunked_order_create_and_update_keep_every_field(server, token):
    body = {
        "customer": {"mobile_number": "09121234567", "first_name": "سارا"},
        "notes": "تحویل فوری",
        "extra": {"channel": "chunked", "nested": {"n": 1}},
    }
    created = send(server, "POST", "/api/orders/", token, orjson.dumps(body), "application/json")
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["notes"] == "تحویل فوری"
    assert order["extra"] == body["extra"]
    assert order["customer_data"]["mobile_number"] == "09121234567"
    stored = Order.objects.get(pk=order["id"])
    assert (stored.notes, stored.extra) == ("تحویل فوری", body["extra"])
    assert stored.customer.mobile_number == "09121234567"

    patch = orjson.dumps({"notes": "changed", "extra": {"patched": True}})
    updated = send(server, "PATCH", f"/api/orders/{order['id']}/", token, patch, "application/json")
    assert updated.status_code == 200, updated.text
    stored.refresh_from_db()
    assert (stored.notes, stored.extra) == ("changed", {"patched": True})


def test_an_over_limit_chunked_body_is_a_413_and_stores_nothing(server, token):
    limit = 1024 * 1024
    body = orjson.dumps({"notes": "x", "extra": {"pad": "y" * limit}})
    assert limit < len(body) < limit + 16 * 1024
    response = send(server, "POST", "/api/orders/", token, body, "application/json")
    assert response.status_code == 413
    assert response.headers["Content-Type"].startswith("application/json")
    assert f"{limit} bytes" in response.json()["detail"]
    assert Order.objects.count() == 0


def multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = "bazaar-chunked-boundary"
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    out.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: image/png\r\n\r\n".encode()
    )
    out.write(content)
    out.write(f"\r\n--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def test_a_chunked_image_upload_is_read_whole(server, token):
    body, content_type = multipart({"name": "chunked picture"}, "p.png", image_bytes(width=300))
    response = send(server, "POST", "/api/images/", token, body, content_type)
    assert response.status_code == 201, response.text
    image = response.json()
    assert (image["name"], image["width"], image["height"]) == ("chunked picture", 300, 100)
    assert Image.objects.filter(pk=image["id"]).exists()


def test_an_over_limit_chunked_upload_is_a_413_and_stores_nothing(server, token):
    # Over the image limit and the multipart room around it, by a little.
    content = image_bytes(width=10, height=10) + b"\0" * (IMAGE_LIMIT + 64 * 1024)
    body, content_type = multipart({"name": "too big"}, "big.png", content)
    response = send(server, "POST", "/api/images/", token, body, content_type)
    assert response.status_code == 413
    assert f"{IMAGE_LIMIT} bytes" in response.json()["detail"]
    assert Image.objects.count() == 0
    assert Customer.objects.count() == 0
