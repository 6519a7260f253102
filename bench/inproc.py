"""In-process half of the bench (run by run.py in a subprocess with the server's environment).

Reads a JSON job on stdin, prints one JSON line on stdout:
- `queries`: for every request, the SQL statements Django sends for it, counted with
  `CaptureQueriesContext` around Django's test client against the same database the server
  uses (the request runs once first, unmeasured, so one-off per-process lookups are not counted);
  a `keyed` request is sent with a new Idempotency-Key each time, as a client does;
- `replays`: for each keyed request, the statements of its retry with the same key;
- `profile`: optionally, a pyinstrument profile of repeated list requests, written as text.

Job: {"token": str, "requests": [{"name", "method", "path", "body", "keyed"}],
      "profile": {"path": str, "out": str, "repeat": int} | null}
"""

import json
import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bazaar.settings")


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    job = json.load(sys.stdin)
    client = Client(HTTP_AUTHORIZATION=f"Token {job['token']}", HTTP_HOST="127.0.0.1")

    def send(request, key=None):
        method = getattr(client, request["method"].lower())
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        if request.get("body") is None:
            return method(request["path"], **headers)
        return method(
            request["path"], data=request["body"], content_type="application/json", **headers
        )

    result = {"queries": {}, "statuses": {}, "replays": {}}
    for request in job["requests"]:
        keyed = request.get("keyed", False)
        send(request, uuid.uuid4().hex if keyed else None)
        key = uuid.uuid4().hex if keyed else None
        with CaptureQueriesContext(connection) as captured:
            response = send(request, key)
        result["queries"][request["name"]] = len(captured.captured_queries)
        result["statuses"][request["name"]] = response.status_code
        if keyed:
            with CaptureQueriesContext(connection) as captured:
                replay = send(request, key)
            assert replay.headers.get("Idempotent-Replayed") == "true", replay.status_code
            result["replays"][request["name"]] = len(captured.captured_queries)

    profile = job.get("profile")
    if profile:
        from pyinstrument import Profiler

        request = {"method": "GET", "path": profile["path"]}
        send(request)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(profile["repeat"]):
            send(request)
        profiler.stop()
        Path(profile["out"]).write_text(
            profiler.output_text(unicode=False, color=False, show_all=False)
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
