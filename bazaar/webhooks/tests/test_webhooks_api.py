"""`/api/webhooks/` (SPEC §15, codes 2401-2405): subscriptions, their secret, URL rules, the
delivery log, retry and ping."""

import base64

import pytest
from standardwebhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from bazaar.webhooks import services
from bazaar.webhooks.models import Delivery, DeliveryStatus, Webhook

pytestmark = pytest.mark.django_db

URL = "/api/webhooks/"
PUBLIC = "https://93.184.215.14/hooks/bazaar"  # a public address: no DNS needed


def create(client, **body) -> dict:
    response = client.post(URL, {"url": PUBLIC, "events": ["order.*"], **body}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_create_answers_the_shape_with_the_secret_shown_once(admin_client):
    body = create(admin_client, description="warehouse")
    assert list(body) == [
        "id", "url", "events", "description", "is_active", "created_at", "updated_at", "secret",
    ]  # fmt: skip
    assert (body["url"], body["events"], body["is_active"]) == (PUBLIC, ["order.*"], True)
    assert body["secret"].startswith("whsec_")
    assert len(base64.b64decode(body["secret"][len("whsec_") :])) >= 24
    shown = admin_client.get(f"{URL}{body['id']}/").json()
    assert "secret" not in shown
    assert "secret" not in admin_client.get(URL).json()["results"][0]
    assert (
        "secret"
        not in admin_client.patch(f"{URL}{body['id']}/", {"description": "x"}, format="json").json()
    )


def test_rotate_secret_answers_a_new_one_and_the_old_no_longer_verifies(admin_client):
    body = create(admin_client)
    rotated = admin_client.post(f"{URL}{body['id']}/rotate-secret/")
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != body["secret"] and new.startswith("whsec_")
    assert Webhook.objects.get().secret == new
    claim = services.Claim(0, 1, PUBLIC, new, "msg_1", '{"a":1}', body["id"], None)
    from datetime import UTC, datetime

    headers = services.signed_headers(claim, datetime.now(UTC))
    assert Verifier(new).verify(claim.body, headers) == {"a": 1}
    with pytest.raises(WebhookVerificationError):
        Verifier(body["secret"]).verify(claim.body, headers)


@pytest.mark.parametrize(
    "events", [["order.shipped"], ["orders.*"], ["order*"], [], "order.*", [1], ["webhook.ping"]]
)
def test_an_unknown_event_type_or_pattern_is_a_400(admin_client, events):
    response = admin_client.post(URL, {"url": PUBLIC, "events": events}, format="json")
    assert response.status_code == 400
    assert "events" in response.json()
    assert not Webhook.objects.exists()


def test_patterns_are_kept_once_each(admin_client):
    body = create(admin_client, events=["*", "order.paid", "*", "payment.*"])
    assert body["events"] == ["*", "order.paid", "payment.*"]


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://127.0.0.1/hook", "loopback"),
        ("https://127.8.9.10:8443/hook", "loopback"),
        ("https://10.1.2.3/hook", "private"),
        ("https://192.168.1.1/hook", "private"),
        ("https://172.16.0.9/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[::1]/hook", "loopback"),
        ("https://[::ffff:127.0.0.1]/hook", "loopback"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://224.0.0.1/hook", "multicast"),
        ("https://240.0.0.1/hook", "reserved"),
        ("https://100.64.0.1/hook", "non-public"),
        ("https://localhost/hook", "loopback"),
        ("https://localhost:9000/hook", "loopback"),
    ],
)
def test_a_host_that_is_or_resolves_to_a_non_public_address_is_a_400(admin_client, url, words):
    response = admin_client.post(URL, {"url": url, "events": ["*"]}, format="json")
    assert response.status_code == 400
    assert words in response.json()["url"][0]
    assert not Webhook.objects.exists()


def test_private_addresses_are_allowed_with_the_setting(admin_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert create(admin_client, url="https://127.0.0.1/hook")["url"] == "https://127.0.0.1/hook"


def test_plain_http_needs_the_setting(admin_client, settings):
    response = admin_client.post(URL, {"url": "http://93.184.215.14/h", "events": ["*"]})
    assert response.status_code == 400
    assert "https" in response.json()["url"][0]
    settings.WEBHOOK_ALLOW_HTTP = True
    assert create(admin_client, url="http://93.184.215.14/h")["url"] == "http://93.184.215.14/h"


@pytest.mark.parametrize("url", ["ftp://93.184.215.14/h", "not a url", "https://", 5])
def test_other_urls_are_a_400(admin_client, url):
    response = admin_client.post(URL, {"url": url, "events": ["*"]}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()


def test_an_update_checks_the_url_again(admin_client):
    body = create(admin_client)
    response = admin_client.patch(
        f"{URL}{body['id']}/", {"url": "https://10.0.0.1/"}, format="json"
    )
    assert response.status_code == 400
    assert Webhook.objects.get().url == PUBLIC


def test_codes_2401_to_2405(staff_with_codes):
    reader = staff_with_codes(2402, 2403)
    assert reader.get(URL).status_code == 200
    assert reader.post(URL, {"url": PUBLIC, "events": ["*"]}, format="json").status_code == 403
    writer = staff_with_codes(2401, 2403, 2404, 2405)
    body = create(writer)
    assert reader.post(f"{URL}{body['id']}/rotate-secret/").status_code == 403
    assert reader.post(f"{URL}{body['id']}/ping/").status_code == 403
    assert reader.get(f"{URL}{body['id']}/deliveries/").status_code == 200
    assert writer.post(f"{URL}{body['id']}/ping/").status_code == 202
    assert writer.delete(f"{URL}{body['id']}/").status_code == 204


def test_ping_answers_202_and_queues_a_webhook_ping(admin_client):
    body = create(admin_client, events=["payment.*"])
    response = admin_client.post(f"{URL}{body['id']}/ping/")
    assert response.status_code == 202
    shown = response.json()
    assert list(shown) == [
        "id", "event_type", "event_id", "order", "status", "attempts", "last_status_code",
        "last_error", "next_attempt_at", "delivered_at", "created_at",
    ]  # fmt: skip
    assert (shown["event_type"], shown["status"], shown["attempts"]) == (
        "webhook.ping",
        "pending",
        0,
    )
    assert shown["order"] is None and shown["event_id"] is None
    log = admin_client.get(f"{URL}{body['id']}/deliveries/").json()
    assert [row["id"] for row in log["results"]] == [shown["id"]]


def test_the_delivery_log_filters_by_status_and_order_and_checks_its_parameters(admin_client):
    body = create(admin_client, events=["*"])
    order = admin_client.post("/api/orders/", {}, format="json").json()
    admin_client.patch(f"/api/orders/{order['id']}/", {"notes": "x"}, format="json")
    ping = admin_client.post(f"{URL}{body['id']}/ping/").json()
    Delivery.objects.filter(pk=ping["id"]).update(status=DeliveryStatus.FAILED)
    url = f"{URL}{body['id']}/deliveries/"
    everything = admin_client.get(url).json()
    assert everything["count"] == 3
    assert [row["event_type"] for row in everything["results"]] == [
        "webhook.ping",
        "order.updated",
        "order.created",
    ]
    of_order = admin_client.get(url, {"order": order["id"]}).json()["results"]
    assert {row["order"] for row in of_order} == {order["id"]} and len(of_order) == 2
    failed = admin_client.get(url, {"status": "failed"}).json()["results"]
    assert [row["id"] for row in failed] == [ping["id"]]
    assert admin_client.get(url, {"status": "lost"}).status_code == 400
    assert admin_client.get(url, {"order": "x"}).status_code == 400
    assert admin_client.get(url, {"colour": "red"}).status_code == 400
    assert admin_client.get(f"{URL}999999/deliveries/").status_code == 404
    assert admin_client.get(f"{URL}abc/deliveries/").status_code == 404


def test_retry_sends_a_failed_delivery_again_and_refuses_others(admin_client):
    body = create(admin_client)
    other = create(admin_client)
    ping = admin_client.post(f"{URL}{body['id']}/ping/").json()
    retry = f"{URL}{body['id']}/deliveries/{ping['id']}/retry/"
    pending = admin_client.post(retry)
    assert pending.status_code == 409
    Delivery.objects.filter(pk=ping["id"]).update(
        status=DeliveryStatus.FAILED, attempts=8, next_attempt_at=None
    )
    again = admin_client.post(retry)
    assert again.status_code == 202
    assert (again.json()["status"], again.json()["attempts"]) == ("pending", 0)
    assert again.json()["next_attempt_at"] is not None
    assert admin_client.post(retry).status_code == 409  # pending now
    elsewhere = f"{URL}{other['id']}/deliveries/{ping['id']}/retry/"
    assert admin_client.post(elsewhere).status_code == 404
    assert (
        admin_client.post(f"{URL}{body['id']}/deliveries/99999999999999999999/retry/").status_code
        == 404
    )


def test_unknown_ids_are_404(admin_client):
    for path in ("999/", "abc/", "99999999999999999999/"):
        assert admin_client.get(f"{URL}{path}").status_code == 404
        assert admin_client.post(f"{URL}{path}ping/").status_code == 404
        assert admin_client.post(f"{URL}{path}rotate-secret/").status_code == 404


def test_the_lists_cost_the_same_queries_for_1_and_20_rows(
    admin_client, memory_cache, django_assert_num_queries
):
    body = create(admin_client)
    admin_client.post(f"{URL}{body['id']}/ping/")
    deliveries = f"{URL}{body['id']}/deliveries/"
    admin_client.get(URL)
    # the token (with its user), count, page
    with django_assert_num_queries(3):
        assert admin_client.get(URL).json()["count"] == 1
    # the token (with its user), the webhook, count, page
    with django_assert_num_queries(4):
        assert admin_client.get(deliveries).json()["count"] == 1
    for _ in range(19):
        create(admin_client)
        admin_client.post(f"{URL}{body['id']}/ping/")
    with django_assert_num_queries(3):
        assert len(admin_client.get(URL, {"limit": 50}).json()["results"]) == 20
    with django_assert_num_queries(4):
        assert len(admin_client.get(deliveries, {"limit": 50}).json()["results"]) == 20
