"""Deliveries made by real worker processes (`manage.py run_worker`) on the test database, to a
real receiver: each message received exactly once however many workers run, one order's in
order, and deliveries whose task was lost, or whose worker died mid-attempt, still go out."""

import json
import os
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from bazaar.jobs.tests.test_worker import database_env, manage, rq_env, start_worker
from bazaar.orders import services as orders
from bazaar.webhooks import services
from bazaar.webhooks.models import Delivery
from bazaar.webhooks.tests.receiver import running_receiver

pytestmark = pytest.mark.django_db(transaction=True)


def worker_env(tmp_path: Path, name: str) -> dict[str, str]:
    return {
        **database_env(tmp_path, name),
        "WEBHOOK_ALLOW_PRIVATE": "true",
        "WEBHOOK_ALLOW_HTTP": "true",
    }


def run_burst(tmp_path: Path, *names: str) -> None:
    workers = [start_worker(worker_env(tmp_path, name), name, "--burst") for name in names]
    outputs = [worker.communicate(timeout=180)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * len(workers), outputs


def deliveries_queued():
    return DBTaskResult.objects.filter(task_path="bazaar.webhooks.tasks.deliver")


def test_two_workers_deliver_each_message_exactly_once_and_in_order(loopback, tmp_path):
    with running_receiver(delay=0.02) as receiver:
        services.webhook_create(data={"url": receiver.url, "events": ["*"]})
        services.webhook_create(data={"url": receiver.url + "/second", "events": ["order.*"]})
        for n in range(8):
            order = orders.order_create(data={})
            for step in range(2):
                orders.order_update(order_id=order.pk, data={"notes": f"{n}-{step}"})
        expected = list(Delivery.objects.order_by("id").values_list("message_id", flat=True))
        assert len(expected) == 8 * 3 * 2
        # Enqueued on commit. Only the delivery tasks: a write may also enqueue, one time in N,
        # the tally compaction or the feed's purge (that made this count flaky).
        assert deliveries_queued().count() == len(expected)
        run_burst(tmp_path, "worker-a", "worker-b")
        received = list(receiver.received)
    assert Counter(request.headers["webhook-id"] for request in received) == Counter(expected)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}
    # Per (subscription, order): versions in the order they were made.
    seen: dict[tuple[str, int], list[int]] = {}
    for request in received:
        order = json.loads(request.body)["data"]["order"]
        seen.setdefault((request.path, order["id"]), []).append(order["version"])
    assert all(versions == [1, 2, 3] for versions in seen.values()), seen
    runs = deliveries_queued()
    assert {run.status for run in runs} >= {"SUCCESSFUL"}
    assert len({worker for run in runs for worker in run.worker_ids}) == 2  # both took part


def test_a_delivery_whose_task_was_lost_is_sent_by_the_next_worker(receiver, tmp_path):
    services.webhook_create(data={"url": receiver.url, "events": ["*"]})
    orders.order_create(data={})
    DBTaskResult.objects.all().delete()  # the process died between the commit and the enqueue
    run_burst(tmp_path, "worker")
    delivery = Delivery.objects.get()
    assert delivery.status == "delivered"
    assert receiver.ids() == [delivery.message_id]


def test_a_worker_killed_mid_delivery_leaves_it_to_be_made_later(loopback, tmp_path):
    with running_receiver(plan=[("sleep", 30)]) as receiver:
        services.webhook_create(data={"url": receiver.url, "events": ["*"]})
        orders.order_create(data={})
        worker = start_worker(worker_env(tmp_path, "doomed"), "doomed")
        try:
            deadline = time.monotonic() + 60
            while not receiver.received and time.monotonic() < deadline:
                time.sleep(0.1)
            assert receiver.received, "the worker never sent"
        finally:
            worker.kill()
            worker.communicate(timeout=30)
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert delivery.claimed_until > timezone.now()  # claimed: nobody sends it meanwhile
        run_burst(tmp_path, "early")
        assert len(receiver.received) == 1
        # Once the dead worker's claim has run out:
        Delivery.objects.filter(pk=delivery.pk).update(claimed_until=timezone.now())
        run_burst(tmp_path, "later")
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("delivered", 2)
        assert receiver.ids() == [delivery.message_id, delivery.message_id]


@transaction.atomic
def update_then_fail(order_id: int) -> None:
    orders.order_update(order_id=order_id, data={"notes": "never"})
    raise RuntimeError("the write failed")


def test_a_rolled_back_write_sends_nothing_through_the_worker(receiver, tmp_path):
    services.webhook_create(data={"url": receiver.url, "events": ["*"]})
    order = orders.order_create(data={})
    with pytest.raises(RuntimeError, match="the write failed"):
        update_then_fail(order.pk)
    run_burst(tmp_path, "worker")
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["order.created"]


def test_with_redis_two_rq_workers_deliver_each_message_exactly_once(loopback, tmp_path, redis_url):
    """TASKS_BACKEND=rq: the writes enqueue on RQ (in another process, configured for it) and two
    RQ workers share the deliveries with their sweeps."""
    env = {
        **rq_env(tmp_path, redis_url),
        "WEBHOOK_ALLOW_PRIVATE": "true",
        "WEBHOOK_ALLOW_HTTP": "true",
    }
    flush = "import django_rq; django_rq.get_connection('default').flushdb()"
    assert manage(env, "shell", "-c", flush).returncode == 0
    with running_receiver(delay=0.02) as receiver:
        services.webhook_create(data={"url": receiver.url, "events": ["*"]})
        write = (
            "from bazaar.orders import services\n"
            "for n in range(6):\n"
            "    order = services.order_create(data={})\n"
            "    services.order_update(order_id=order.pk, data={'notes': str(n)})"
        )
        done = manage(env, "shell", "-c", write)
        assert done.returncode == 0, done.stderr
        expected = list(Delivery.objects.values_list("message_id", flat=True))
        assert len(expected) == 12
        workers = [start_worker(env, f"rq-{name}-{os.getpid()}", "--burst") for name in "ab"]
        outputs = [worker.communicate(timeout=180)[0] for worker in workers]
        assert [worker.returncode for worker in workers] == [0, 0], outputs
        received = receiver.ids()
    assert Counter(received) == Counter(expected)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert manage(env, "shell", "-c", flush).returncode == 0


def test_a_running_worker_sweeps_for_lost_deliveries_every_few_seconds(loopback, tmp_path):
    # The receiver answers a second after it has the request, and the worker is told to stop in
    # that second: the attempt in flight must still be recorded. (The sweep ran in a daemon
    # thread the worker did not wait for: one run in ~20 lost the outcome, "pending".)
    with running_receiver(delay=1.0) as receiver:
        webhook = services.webhook_create(data={"url": receiver.url, "events": ["*"]})
        env = {**worker_env(tmp_path, "sweeper"), "WEBHOOK_SWEEP_SECONDS": "0.5"}
        worker = start_worker(env, "sweeper")
        try:
            time.sleep(2)  # started, its first sweep done: the queue is empty
            # A delivery whose task never reached the queue (written, never enqueued):
            lost = Delivery.objects.create(
                webhook=webhook,
                event_type="webhook.ping",
                message_id=services.new_message_id(),
                body='{"type": "webhook.ping"}',
                next_attempt_at=timezone.now(),
            )
            deadline = time.monotonic() + 30
            while not receiver.received and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            worker.terminate()
            worker.communicate(timeout=30)
        assert receiver.ids() == [lost.message_id]
        lost.refresh_from_db()
        assert lost.status == "delivered"
