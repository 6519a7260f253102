"""The background worker (`run_worker`) on the real queue: the database by default.

Workers are real processes on the test database; each task must run exactly once however many
workers poll the queue."""

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from bazaar.api.tests.live_server import ROOT, pytest_database_url
from bazaar.jobs import tasks
from bazaar.jobs.tests.work import record_run
from bazaar.orders import services
from bazaar.orders.models import Order, OrderStatusDelta
from bazaar.orders.selectors import order_count_by_status
from bazaar.orders.status import Status

pytestmark = pytest.mark.django_db(transaction=True)


def database_url() -> str:
    if connection.vendor == "postgresql":
        return pytest_database_url()
    return f"sqlite:///{connection.settings_dict['NAME']}"


def database_env(tmp_path: Path, name: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "BAZAAR_DATA_DIR": str(tmp_path / name),
        "TASKS_BACKEND": "database",
    }
    env.pop("REDIS_URL", None)
    return env


def start_worker(env: dict[str, str], name: str, *options: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--interval", "0.1", "--worker-id", name,
         *options],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def test_two_workers_run_every_task_exactly_once(tmp_path):
    log = tmp_path / "runs.txt"
    labels = [f"task-{n}" for n in range(30)]
    for label in labels:
        record_run.enqueue(str(log), label, 0.05)
    workers = [
        start_worker(database_env(tmp_path, name), name, "--burst")
        for name in ("worker-a", "worker-b")
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs

    runs = [line.split() for line in log.read_text().splitlines()]
    assert Counter(label for label, _pid in runs) == Counter(labels)  # each once, none lost
    assert len({pid for _label, pid in runs}) == 2  # both workers took part
    results = DBTaskResult.objects.all()
    assert {result.status for result in results} == {"SUCCESSFUL"}
    assert all(len(result.worker_ids) == 1 for result in results)


@transaction.atomic
def enqueue_then_fail(log: str) -> None:
    record_run.enqueue(log, "rolled-back")
    raise RuntimeError("the write failed")


def test_a_task_enqueued_by_a_rolled_back_write_never_runs(tmp_path):
    log = tmp_path / "runs.txt"
    with pytest.raises(RuntimeError, match="the write failed"):
        enqueue_then_fail(str(log))
    record_run.enqueue(str(log), "committed")
    worker = start_worker(database_env(tmp_path, "worker"), "worker", "--burst")
    output = worker.communicate(timeout=60)[0]
    assert worker.returncode == 0, output
    assert log.read_text().split()[0::2] == ["committed"]


def test_a_status_write_enqueues_the_tally_compaction_and_the_worker_runs_it(tmp_path, monkeypatch):
    monkeypatch.setattr(tasks, "COMPACT_TALLIES_ONE_IN", 1)
    orders = [services.order_create(data={}) for _ in range(3)]
    services.order_update(order_id=orders[0].pk, data={"status": Status.HOLD})
    queued = DBTaskResult.objects.filter(task_path="bazaar.jobs.tasks.compact_status_tallies")
    assert queued.count() == 4  # three inserts and one move
    worker = start_worker(database_env(tmp_path, "worker"), "worker", "--burst")
    output = worker.communicate(timeout=60)[0]
    assert worker.returncode == 0, output
    assert set(queued.values_list("status", flat=True)) == {"SUCCESSFUL"}
    if connection.vendor == "postgresql":
        assert OrderStatusDelta.objects.count() == 2  # one row per status left
        assert order_count_by_status({"new"}) == 2
        assert order_count_by_status({"hold"}) == 1
    assert Order.objects.count() == 3


def rq_env(tmp_path: Path, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "BAZAAR_DATA_DIR": str(tmp_path / "rq"),
        "REDIS_URL": redis_url,
        "TASKS_BACKEND": "rq",
    }


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def test_with_redis_two_rq_workers_run_every_task_exactly_once(tmp_path, redis_url):
    """TASKS_BACKEND=rq (the default when REDIS_URL is set): the same tasks through RQ."""
    env = rq_env(tmp_path, redis_url)
    log = tmp_path / "runs.txt"
    labels = [f"rq-{n}" for n in range(20)]
    flush = "import django_rq; django_rq.get_connection('default').flushdb()"
    assert manage(env, "shell", "-c", flush).returncode == 0
    enqueue = (
        "from bazaar.jobs.tests.work import record_run\n"
        f"for label in {labels!r}: record_run.enqueue({str(log)!r}, label, 0.05)"
    )
    done = manage(env, "shell", "-c", enqueue)
    assert done.returncode == 0, done.stderr
    workers = [start_worker(env, f"{name}-{os.getpid()}", "--burst") for name in ("a", "b")]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    runs = [line.split() for line in log.read_text().splitlines()]
    assert Counter(label for label, _pid in runs) == Counter(labels)
    assert manage(env, "shell", "-c", flush).returncode == 0
