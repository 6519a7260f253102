"""`python manage.py run_worker`: a background worker for the configured task queue.

The database queue (the default) runs django-tasks-db's worker; RQ (TASKS_BACKEND=rq, the default
when REDIS_URL is set) runs django-rq's worker with its scheduler, so tasks deferred with
`run_after` run too. Any number of workers may run on any number of hosts: each task is claimed
by exactly one (a locked row, or an RQ job popped atomically).

Beside the queue, each worker sweeps the webhook outbox (bazaar.webhooks.services
.deliveries_sweep): once when it starts and then every WEBHOOK_SWEEP_SECONDS, it attempts every
due delivery that nobody is sending, so a delivery whose task was lost (the process died between
the commit and the enqueue, a queue flushed) still goes out. Each attempt is claimed first, so
sweeps and tasks on any number of workers never make one attempt twice."""

import logging
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)


def sweep_once(stop: threading.Event | None = None) -> None:
    from bazaar.webhooks.services import deliveries_sweep

    try:
        deliveries_sweep(stopping=stop.is_set if stop else lambda: False)
    except Exception:  # a database hiccup must not end the sweeping: the next round retries
        logger.exception("webhook sweep failed")
    finally:
        close_old_connections()


def sweep_forever(every: float, stop: threading.Event) -> None:
    while not stop.wait(every):
        sweep_once(stop)
    connection.close()


class Command(BaseCommand):
    help = "Run a background worker for the task queue (database or RQ)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between polls (database)."
        )
        parser.add_argument(
            "--max-tasks", type=int, default=None, help="Stop after this many tasks."
        )
        parser.add_argument(
            "--burst", action="store_true", help="Run what is queued now, then stop."
        )
        parser.add_argument("--worker-id", default=None, help="A name for this worker's logs.")

    def handle(self, *args, interval: float, max_tasks, burst: bool, worker_id, **options):
        sweep_once()  # what was due before this worker started (lost enqueues included)
        stop = threading.Event()
        sweeper = None
        if not burst and settings.WEBHOOK_SWEEP_SECONDS > 0:
            sweeper = threading.Thread(
                target=sweep_forever,
                args=(settings.WEBHOOK_SWEEP_SECONDS, stop),
                name="webhook-sweep",
                daemon=True,
            )
            sweeper.start()
        try:
            self.run_queue(interval=interval, max_tasks=max_tasks, burst=burst, worker_id=worker_id)
        finally:
            stop.set()
            if sweeper is not None:
                # A sweep attempt in flight when the worker is told to stop (SIGTERM, Ctrl-C)
                # finishes and records its outcome: killed between the receiver's answer and
                # the record, it would be sent again. One attempt is bounded by the timeout.
                sweeper.join(timeout=settings.WEBHOOK_TIMEOUT_SECONDS + 5)

    def run_queue(self, *, interval: float, max_tasks, burst: bool, worker_id) -> None:
        if settings.TASKS_BACKEND == "rq":
            rq_options: dict = {
                "with_scheduler": True,
                "burst": burst,
                "job_class": "django_tasks_rq.backend.Job",
            }
            if max_tasks is not None:
                rq_options["max_jobs"] = max_tasks
            if worker_id:
                rq_options["name"] = worker_id
            call_command("rqworker", "default", **rq_options)
            return
        db_options: dict = {
            "queue_name": "default",
            "interval": interval,
            "startup_delay": False,
            "batch": burst,
            "reload": False,
        }
        if max_tasks is not None:
            db_options["max_tasks"] = max_tasks
        if worker_id:
            db_options["worker_id"] = worker_id
        call_command("db_worker", **db_options)
