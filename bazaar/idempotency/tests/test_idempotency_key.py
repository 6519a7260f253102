"""SPEC §13 "Idempotency-Key", through DRF's test client: replays, 422 for another request, what
is stored and what is not, malformed keys, expiry and purge."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bazaar.accounts.codes import PermissionCode
from bazaar.accounts.permissions import user_set_direct_codes
from bazaar.catalog.tests.factories import ProductFactory
from bazaar.conftest import client_for
from bazaar.geo.models import Country
from bazaar.idempotency import keys, services
from bazaar.idempotency.models import StoredResponse
from bazaar.orders.models import Order, OrderItem

pytestmark = pytest.mark.django_db


def post(client, path, body, key=None, **extra):
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(path, data=raw, content_type="application/json", **extra)


def test_first_request_runs_and_the_retry_is_replayed(admin_client, order_body):
    first = post(admin_client, "/api/orders/", order_body, key="k-1")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first

    again = post(admin_client, "/api/orders/", order_body, key="k-1")

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert Order.objects.count() == 1
    assert again["X-Request-ID"] != first["X-Request-ID"]  # the replay is a request of its own


def test_without_a_key_every_request_runs(admin_client, order_body):
    post(admin_client, "/api/orders/", order_body)
    post(admin_client, "/api/orders/", order_body)
    assert Order.objects.count() == 2


# What a key costs, in statements: the claim (on PostgreSQL the lock and the lookup in one
# statement, bazaar.idempotency.services._claim_pg), the savepoint around the handler (released
# by the commit), the stored answer; and two fewer, since the savepoint around the handler stands
# in for the service's own, SAVEPOINT and RELEASE (bazaar.db.transactions). Expired keys are
# purged by a task that one stored answer in IDEMPOTENCY_PURGE_ONE_IN enqueues after its commit.
# On PostgreSQL the answer is stored by the statement that reads the order's document
# (services.AnswerStore): one fewer.
KEY_QUERIES = 3 - 2 - (1 if connection.vendor == "postgresql" else 0)
# A replay: the token and the claim. Nothing else runs.
REPLAY_QUERIES = 2


def test_what_a_key_costs_and_a_replay_runs_nothing(
    memory_cache, admin_client, order_body, django_assert_num_queries
):
    post(admin_client, "/api/orders/", order_body)  # per-process lookups out of the count
    with CaptureQueriesContext(connection) as unkeyed:
        post(admin_client, "/api/orders/", order_body)
    # +2: the outer transaction of the keyed request is a savepoint inside the test's own.
    with django_assert_num_queries(len(unkeyed) + KEY_QUERIES + 2):
        post(admin_client, "/api/orders/", order_body, key="k-1")

    with django_assert_num_queries(REPLAY_QUERIES + 2) as captured:
        again = post(admin_client, "/api/orders/", order_body, key="k-1")

    assert again["Idempotent-Replayed"] == "true"
    statements = " ".join(q["sql"].upper() for q in captured.captured_queries)
    assert "INSERT" not in statements and "UPDATE" not in statements
    assert Order.objects.count() == 3


def test_json_bodies_are_compared_by_value(admin_client, order_body):
    post(admin_client, "/api/orders/", order_body, key="k-1")
    reordered = json.dumps(dict(reversed(list(order_body.items()))), indent=4)

    again = post(admin_client, "/api/orders/", reordered, key="k-1")

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


def test_a_trailing_slash_or_none_is_the_same_path(admin_client, order_body):
    post(admin_client, "/api/orders/", order_body, key="k-1")
    again = post(admin_client, "/api/orders", order_body, key="k-1")
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


def test_headers_are_not_compared(admin_client, order_body):
    post(admin_client, "/api/orders/", order_body, key="k-1", HTTP_ACCEPT_LANGUAGE="fa")
    again = post(admin_client, "/api/orders/", order_body, key="k-1", HTTP_X_REQUEST_ID="other")
    assert again["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/orders/", {"notes": "another body"}),
        ("post", "/api/orders/?format=json", None),  # the query string is part of the path
        ("post", "/api/customers/", None),
        ("put", "/api/orders/", None),
    ],
)
def test_the_same_key_for_another_request_is_a_422(admin_client, order_body, method, path, body):
    post(admin_client, "/api/orders/", order_body, key="k-1")

    other = getattr(admin_client, method)(
        path,
        data=json.dumps({**order_body, **(body or {})}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )

    assert other.status_code == 422
    assert set(other.json()) == {"detail"}
    assert "POST /api/orders" in other.json()["detail"]
    assert Order.objects.count() == 1
    # The key still answers its own request.
    assert post(admin_client, "/api/orders/", order_body, key="k-1")["Idempotent-Replayed"]


def test_keys_belong_to_their_user(admin_user, order_body):
    one, two = client_for(admin_user), client_for(admin_user)
    other_admin = type(admin_user).objects.create_superuser("root2", "r2@example.com", "pw-A-9")
    first = post(one, "/api/orders/", order_body, key="shared")
    # Another token of the same user shares the user's keys...
    assert post(two, "/api/orders/", order_body, key="shared")["Idempotent-Replayed"] == "true"
    # ...another user's identical key is theirs alone.
    theirs = post(client_for(other_admin), "/api/orders/", order_body, key="shared")
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert theirs.json()["id"] != first.json()["id"]
    assert Order.objects.count() == 2


def test_a_400_is_stored_and_replayed(admin_client, order_body):
    refused = post(admin_client, "/api/orders/", {**order_body, "shiping_cost": 1}, key="k-1")
    assert refused.status_code == 400

    again = post(admin_client, "/api/orders/", {**order_body, "shiping_cost": 1}, key="k-1")
    assert again.status_code == 400
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == refused.content
    # The key is spent on the refused request: the corrected one needs a new key.
    assert post(admin_client, "/api/orders/", order_body, key="k-1").status_code == 422
    assert Order.objects.count() == 0


def test_a_refusal_after_a_partial_write_takes_the_write_back(admin_client, settings):
    settings.ROOT_URLCONF = "bazaar.idempotency.tests.urls"

    refused = post(admin_client, "/api/test/partial-write/", {}, key="k-1")

    assert refused.status_code == 400
    assert not Country.objects.exists()  # the row written before the 400 was rolled back
    again = post(admin_client, "/api/test/partial-write/", {}, key="k-1")
    assert again["Idempotent-Replayed"] == "true"  # and the 400 was stored all the same
    assert not Country.objects.exists()


def test_a_5xx_is_not_stored_and_its_write_is_taken_back(admin_user, settings):
    settings.ROOT_URLCONF = "bazaar.idempotency.tests.urls"
    client = client_for(admin_user)
    client.raise_request_exception = False

    for _attempt in range(2):  # the key may be retried: each attempt runs
        crashed = post(client, "/api/test/partial-write/?fail=crash", {}, key="k-1")
        assert crashed.status_code == 500
        assert "Idempotent-Replayed" not in crashed
    assert not Country.objects.exists()
    assert not StoredResponse.objects.exists()


def test_a_409_is_not_stored(admin_client, order_body):
    product = ProductFactory()
    order_id = post(admin_client, "/api/orders/", order_body).json()["id"]
    post(admin_client, f"/api/orders/{order_id}/items/", {"product": product.pk})
    conflict = admin_client.delete(f"/api/products/{product.pk}/", HTTP_IDEMPOTENCY_KEY="k-1")
    assert conflict.status_code == 409

    OrderItem.objects.filter(product=product).delete()
    retried = admin_client.delete(f"/api/products/{product.pk}/", HTTP_IDEMPOTENCY_KEY="k-1")

    assert retried.status_code == 204
    assert "Idempotent-Replayed" not in retried
    replayed = admin_client.delete(f"/api/products/{product.pk}/", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (replayed.status_code, replayed["Idempotent-Replayed"]) == (204, "true")


def test_a_403_is_not_stored(staff_with_codes, order_body):
    client = staff_with_codes()
    assert post(client, "/api/orders/", order_body, key="k-1").status_code == 403

    user_set_direct_codes(user=client.user, codes=[PermissionCode.ORDERS_CREATE])
    granted = post(client, "/api/orders/", order_body, key="k-1")

    assert granted.status_code == 201
    assert "Idempotent-Replayed" not in granted


def test_a_401_stores_nothing(anon_client, order_body):
    refused = post(anon_client, "/api/orders/", order_body, key="k-1")
    assert refused.status_code == 401
    assert not StoredResponse.objects.exists()


@pytest.mark.parametrize(
    ("status_code", "stored"),
    [
        (200, True), (201, True), (204, True), (400, True), (404, True), (405, True),
        (413, True), (415, True), (422, True), (401, False), (403, False), (409, False),
        (412, False), (429, False), (500, False), (502, False), (503, False),
    ],
)  # fmt: skip
def test_which_answers_are_stored(status_code, stored):
    assert keys.is_stored(status_code) is stored


@pytest.mark.parametrize(
    "key",
    ["", "x" * 256, "ключ", "tab\there", "del\x7f", "nul\x00"],
    ids=["empty", "too-long", "not-ascii", "tab", "del", "nul"],
)
def test_a_malformed_key_is_a_400_and_nothing_runs(admin_client, order_body, key):
    refused = post(admin_client, "/api/orders/", order_body, key=key)

    assert refused.status_code == 400
    assert refused.json() == {"detail": keys.INVALID_KEY_MESSAGE}
    assert Order.objects.count() == 0


@pytest.mark.parametrize("key", ["a", "x" * 255, "~!@#$%^&*()_+ {}|:<>?"])
def test_every_printable_ascii_key_up_to_255_is_taken(admin_client, order_body, key):
    assert post(admin_client, "/api/orders/", order_body, key=key).status_code == 201
    assert post(admin_client, "/api/orders/", order_body, key=key)["Idempotent-Replayed"]


def test_reads_ignore_the_header(admin_client):
    response = admin_client.get("/api/orders/", HTTP_IDEMPOTENCY_KEY="")
    assert response.status_code == 200
    assert not StoredResponse.objects.exists()


def test_logging_in_ignores_the_header(admin_user, anon_client):
    def login():
        return anon_client.post(
            "/api/auth/token/",
            {"username": "root", "password": "pw-Admin-123"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="login",
        )

    first, second = login(), login()
    assert first.status_code == second.status_code == 200
    assert first.json()["token"] != second.json()["token"]
    assert "Idempotent-Replayed" not in second


def test_item_payment_update_and_delete_take_keys(admin_client, order_body):
    order_id = post(admin_client, "/api/orders/", order_body).json()["id"]
    product = ProductFactory()
    item = {"product": product.pk, "quantity": 1}
    for _ in range(2):
        post(admin_client, f"/api/orders/{order_id}/items/", item, key="item")
    payment = {"amount": 1000, "approved": False}
    for _ in range(2):
        post(admin_client, f"/api/orders/{order_id}/payments/", payment, key="pay")
    for _ in range(2):
        patched = admin_client.patch(
            f"/api/orders/{order_id}/",
            data={"notes": "changed"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="patch",
        )
    assert patched["Idempotent-Replayed"] == "true"
    order = Order.objects.get(pk=order_id)
    assert (order.items.count(), order.payments.count(), order.notes) == (1, 1, "changed")


def test_an_expired_key_is_free_again(admin_client, order_body):
    post(admin_client, "/api/orders/", order_body, key="k-1")
    StoredResponse.objects.update(created_at=timezone.now() - services.KEEP_FOR)

    again = post(admin_client, "/api/orders/", {**order_body, "notes": "next day"}, key="k-1")

    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Order.objects.count() == 2
    assert StoredResponse.objects.get().path == "/api/orders"


def test_stored_answers_enqueue_the_purge_of_expired_keys_now_and_then(
    admin_client, admin_user, order_body, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from bazaar.idempotency.tasks import purge_expired_keys

    old = timezone.now() - services.KEEP_FOR - timedelta(seconds=1)
    StoredResponse.objects.bulk_create(
        StoredResponse(
            user=admin_user, key=f"old-{n}", method="POST", path="/api/x", body_hash="",
            status_code=201, created_at=old,
        )
        for n in range(5)
    )  # fmt: skip
    queued = DBTaskResult.objects.filter(task_path="bazaar.idempotency.tasks.purge_expired_keys")
    settings.IDEMPOTENCY_PURGE_ONE_IN = 10**9  # practically never
    with django_capture_on_commit_callbacks(execute=True):
        post(admin_client, "/api/orders/", order_body, key="first")
    assert queued.count() == 0
    assert StoredResponse.objects.filter(created_at=old).count() == 5  # not on the request

    settings.IDEMPOTENCY_PURGE_ONE_IN = 1  # every stored answer
    with django_capture_on_commit_callbacks(execute=True):
        post(admin_client, "/api/orders/", order_body, key="second")
    assert queued.count() == 1
    assert purge_expired_keys.call() == 5  # what the worker runs
    assert set(StoredResponse.objects.values_list("key", flat=True)) == {"first", "second"}


def test_the_purge_command_deletes_only_expired_keys(admin_user):
    now = timezone.now()
    for n, age in enumerate([timedelta(hours=25), timedelta(hours=24, seconds=1), timedelta(0)]):
        StoredResponse.objects.create(
            user=admin_user, key=f"k{n}", method="POST", path="/api/x", body_hash="",
            status_code=201, created_at=now - age,
        )  # fmt: skip

    call_command("purge_idempotency_keys", "--batch-size", "1")

    assert list(StoredResponse.objects.values_list("key", flat=True)) == ["k2"]


def test_a_stored_answer_keeps_location_and_etag(admin_user):
    # Written as the view stores it; no endpoint sends these two yet (ETag comes with §13's
    # versions), so the row is made through the service the view uses.
    from django.db import transaction
    from django.http import HttpResponse

    from bazaar.idempotency.errors import Replay

    response = HttpResponse(b'{"id": 1}', status=201, content_type="application/json")
    response["Location"], response["ETag"] = "/api/orders/1/", '"v1"'
    claim = services.Claim(user_id=admin_user.pk, key="k", method="POST", path="/p", body_hash="h")
    with transaction.atomic():
        services.response_store(claim=claim, response=response)
    with pytest.raises(Replay) as replay, transaction.atomic():
        services.key_claim(user_id=admin_user.pk, key="k", method="POST", path="/p", body_hash="h")

    sent = replay.value.response()
    assert (sent.status_code, sent.content, sent["Location"], sent["ETag"]) == (
        201, b'{"id": 1}', "/api/orders/1/", '"v1"',
    )  # fmt: skip


def stored_answer(key: str) -> tuple:
    stored = StoredResponse.objects.get(key=key)
    return (stored.status_code, stored.content_type, stored.etag, bytes(stored.body))


def sent_answer(response) -> tuple:
    return (response.status_code, response["Content-Type"], response["ETag"], response.content)


def test_the_stored_answer_is_the_response_sent(admin_client, order_body):
    """On PostgreSQL the statement that reads the order's document stores it too
    (services.AnswerStore); on both databases the stored answer is the response, byte for byte
    and header for header, and so is its replay."""
    created = post(admin_client, "/api/orders/", order_body, key="k-1")
    order_id = created.json()["id"]
    product = ProductFactory(price=1000)
    added = post(admin_client, f"/api/orders/{order_id}/items", {"product": product.pk}, key="k-2")
    assert (created.status_code, added.status_code) == (201, 201), added.content

    assert stored_answer("k-1") == sent_answer(created)
    assert stored_answer("k-2") == sent_answer(added)
    again = post(admin_client, f"/api/orders/{order_id}/items", {"product": product.pk}, key="k-2")
    assert again["Idempotent-Replayed"] == "true"
    assert sent_answer(again) == sent_answer(added)
    assert OrderItem.objects.filter(order_id=order_id).count() == 1


def test_an_answer_rendered_otherwise_than_its_document_is_stored_as_sent(admin_client, order_body):
    # The browsable API renders the order as HTML, not as the JSON document that the reading
    # statement stored: the rendered response is stored over it.
    created = post(admin_client, "/api/orders/", order_body, key="k-1", HTTP_ACCEPT="text/html")
    assert created.status_code == 201
    assert created["Content-Type"].startswith("text/html")

    assert stored_answer("k-1") == sent_answer(created)
    again = post(admin_client, "/api/orders/", order_body, key="k-1", HTTP_ACCEPT="text/html")
    assert again["Idempotent-Replayed"] == "true"
    assert sent_answer(again) == sent_answer(created)
    assert Order.objects.count() == 1
