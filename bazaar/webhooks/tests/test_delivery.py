"""Attempts (SPEC §15) against a real HTTP receiver on loopback: the Standard Webhooks headers
verified as a receiver verifies them, retries with growing delays, timeouts, redirects not
followed, one order's events in order, and the address rules again at every attempt."""

import itertools
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook as Verifier

from bazaar.orders import services as orders
from bazaar.webhooks import services
from bazaar.webhooks.models import Delivery, DeliveryStatus, Webhook
from bazaar.webhooks.tests.receiver import running_receiver

pytestmark = pytest.mark.django_db


def subscribe(url: str, *patterns: str) -> Webhook:
    return services.webhook_create(data={"url": url, "events": list(patterns) or ["*"]})


def attempt(delivery: Delivery) -> str:
    return services.delivery_attempt(delivery_id=delivery.pk)


def make_due(delivery: Delivery) -> None:
    """Skip the wait before the next attempt (the schedule is checked separately)."""
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_a_delivery_is_signed_the_way_a_receiver_verifies_it(receiver):
    webhook = subscribe(receiver.url)
    order = orders.order_create(data={"notes": "hello"})
    delivery = Delivery.objects.get()
    assert attempt(delivery) == "delivered"
    (request,) = receiver.received
    payload = Verifier(webhook.secret).verify(request.body, request.headers)
    assert payload["type"] == "order.created"
    assert payload["data"]["order"]["id"] == order.pk
    assert payload["data"]["event"]["type"] == "order_created"
    assert request.headers["webhook-id"] == delivery.message_id
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-signature"].startswith("v1,")
    assert abs(int(request.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    assert attempt(delivery) == "not due"  # sent once
    assert len(receiver.received) == 1


def test_a_500_then_a_200(loopback):
    with running_receiver(plan=[500]) as receiver:
        webhook = subscribe(receiver.url)
        orders.order_create(data={})
        delivery = Delivery.objects.get()
        before = timezone.now()
        assert attempt(delivery) == "pending"
        delivery.refresh_from_db()
        assert (delivery.attempts, delivery.last_status_code) == (1, 500)
        assert "500" in delivery.last_error
        wait = delivery.next_attempt_at - before
        assert timedelta(seconds=55) < wait < timedelta(seconds=65)
        assert attempt(delivery) == "not due"  # not before its time
        make_due(delivery)
        assert attempt(delivery) == "delivered"
        first, second = receiver.received
        assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.message_id
        for request in (first, second):
            Verifier(webhook.secret).verify(request.body, request.headers)
        assert first.body == second.body


def test_retries_grow_for_about_a_day_then_the_delivery_fails(loopback):
    with running_receiver(then=500) as receiver:
        subscribe(receiver.url)
        orders.order_create(data={})
        delivery = Delivery.objects.get()
        waits = []
        for _ in range(services.MAX_ATTEMPTS - 1):
            started = timezone.now()
            assert attempt(delivery) == "pending"
            delivery.refresh_from_db()
            # In whole minutes: the attempt itself takes a few milliseconds of each wait.
            waits.append(round((delivery.next_attempt_at - started).total_seconds() / 60))
            make_due(delivery)
        assert attempt(delivery) == "failed"
        delivery.refresh_from_db()
    assert services.MAX_ATTEMPTS >= 8
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 8, None)
    assert len(receiver.received) == 8
    assert waits == [1, 5, 30, 120, 300, 480, 480]
    assert all(later >= earlier for earlier, later in itertools.pairwise(waits))
    assert 20 * 60 < sum(waits) < 30 * 60  # about a day


def test_no_answer_within_the_timeout_is_a_failed_attempt(loopback, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    with running_receiver(plan=[("sleep", 3)]) as receiver:
        subscribe(receiver.url)
        orders.order_create(data={})
        delivery = Delivery.objects.get()
        assert attempt(delivery) == "pending"
        delivery.refresh_from_db()
        assert delivery.last_status_code is None
        assert "No answer within 0.5 s" in delivery.last_error
        make_due(delivery)
        assert attempt(delivery) == "delivered"


def test_a_redirect_is_not_followed(loopback):
    with running_receiver(plan=[("redirect", "/elsewhere")]) as receiver:
        subscribe(receiver.url)
        orders.order_create(data={})
        delivery = Delivery.objects.get()
        assert attempt(delivery) == "pending"
        delivery.refresh_from_db()
    assert delivery.last_status_code == 302
    assert "not followed" in delivery.last_error
    assert [request.path for request in receiver.received] == ["/hook"]  # not /elsewhere


def test_one_orders_events_reach_a_subscription_in_the_order_they_happened(loopback):
    with running_receiver(plan=[500]) as receiver:
        subscribe(receiver.url)
        order = orders.order_create(data={})
        orders.order_update(order_id=order.pk, data={"notes": "a"})
        other = orders.order_create(data={})
        first, second, third = Delivery.objects.order_by("id")
        assert attempt(first) == "pending"  # the 500
        assert attempt(second) == "not due"  # waits for the first, of the same order
        assert attempt(third) == "delivered"  # another order's: not held up
        make_due(first)
        assert attempt(first) == "delivered"
        assert attempt(second) == "delivered"
        types = [json.loads(request.body)["type"] for request in receiver.received]
    assert types == ["order.created", "order.created", "order.created", "order.updated"]
    orders_seen = [json.loads(r.body)["data"]["order"]["id"] for r in receiver.received]
    assert orders_seen == [order.pk, other.pk, order.pk, order.pk]


def test_a_failed_older_delivery_no_longer_holds_up_the_next(loopback):
    with running_receiver() as receiver:
        subscribe(receiver.url)
        order = orders.order_create(data={})
        orders.order_update(order_id=order.pk, data={"notes": "a"})
        first, second = Delivery.objects.order_by("id")
        Delivery.objects.filter(pk=first.pk).update(status=DeliveryStatus.FAILED)
        assert attempt(second) == "delivered"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1:{port}/hook", "loopback"),
        ("http://localhost:{port}/hook", "loopback"),
        ("http://[::1]:{port}/hook", "loopback"),
        ("https://10.20.30.40/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
    ],
)
def test_every_attempt_checks_the_address_again(receiver, settings, url, words):
    port = receiver.url.split(":")[2].split("/")[0]
    webhook = subscribe(receiver.url)
    Webhook.objects.filter(pk=webhook.pk).update(url=url.format(port=port))
    orders.order_create(data={})
    settings.WEBHOOK_ALLOW_PRIVATE = False  # as in production: the host now points inward
    delivery = Delivery.objects.get()
    assert attempt(delivery) == "pending"
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("Refused:") and words in delivery.last_error
    assert delivery.last_status_code is None
    assert receiver.received == []


def test_plain_http_is_refused_at_delivery_without_the_setting(receiver, settings):
    subscribe(receiver.url)
    orders.order_create(data={})
    settings.WEBHOOK_ALLOW_HTTP = False
    delivery = Delivery.objects.get()
    assert attempt(delivery) == "pending"
    delivery.refresh_from_db()
    assert "https" in delivery.last_error
    assert receiver.received == []


def test_a_ping_and_a_retried_delivery_are_sent(receiver, admin_client):
    webhook = subscribe(receiver.url, "payment.*")
    ping = admin_client.post(f"/api/webhooks/{webhook.pk}/ping/").json()
    delivery = Delivery.objects.get(pk=ping["id"])
    assert attempt(delivery) == "delivered"
    payload = Verifier(webhook.secret).verify(
        receiver.received[0].body, receiver.received[0].headers
    )
    assert payload["type"] == "webhook.ping"
    assert payload["data"] == {"event": None, "order": None}
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    retried = admin_client.post(f"/api/webhooks/{webhook.pk}/deliveries/{delivery.pk}/retry/")
    assert retried.status_code == 202
    assert attempt(delivery) == "delivered"
    assert receiver.ids() == [delivery.message_id, delivery.message_id]


def test_an_inactive_subscriptions_pending_delivery_fails_without_being_sent(receiver):
    webhook = subscribe(receiver.url)
    orders.order_create(data={})
    Webhook.objects.filter(pk=webhook.pk).update(is_active=False)
    delivery = Delivery.objects.get()
    assert attempt(delivery) == "not due"
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "not active" in delivery.last_error
    assert receiver.received == []


def test_the_sweep_sends_due_deliveries_whose_task_was_lost(receiver):
    subscribe(receiver.url)
    for _ in range(3):
        orders.order_create(data={})
    assert services.deliveries_sweep() == 3
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert services.deliveries_sweep() == 0
    assert len(receiver.received) == 3


def test_a_claimed_delivery_is_not_attempted_again_until_its_claim_expires(receiver):
    subscribe(receiver.url)
    orders.order_create(data={})
    delivery = Delivery.objects.get()
    claim = services.delivery_claim(delivery_id=delivery.pk)
    assert claim is not None
    # A second worker, while the first is sending (or has died mid-attempt):
    assert services.delivery_claim(delivery_id=delivery.pk) is None
    Delivery.objects.filter(pk=delivery.pk).update(claimed_until=timezone.now())
    assert attempt(delivery) == "delivered"  # the claim expired: taken up again
    # The first worker's late outcome does not overwrite the newer attempt's.
    outcome = services.Outcome(500, "HTTP 500")
    assert services.delivery_record(claim=claim, outcome=outcome) == "superseded"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
