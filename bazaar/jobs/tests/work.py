"""Tasks the worker tests enqueue: each run leaves a line in a file, so a test can see exactly
which runs happened, in which process, however the queue recorded them."""

import os
import time

from django_tasks import task


@task()
def record_run(path: str, label: str, seconds: float = 0.0) -> int:
    time.sleep(seconds)  # long enough for two workers to be busy at once
    with open(path, "a") as out:  # one short write per run: O_APPEND keeps lines whole
        out.write(f"{label} {os.getpid()}\n")
    return os.getpid()
