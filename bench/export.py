"""The CSV export measured (SPEC §15): rows per second, time to the first byte, and how much the
process grows while it streams every order of a seeded database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bazaar_bench_1000000 \\
        .venv/bin/python bench/export.py            # make bench-export

In-process, through the real view (filters, keyset batches, the CSV writer), with the chunks
discarded as a WSGI server would send them. Growth is the peak resident set (VmHWM) after the
export minus the resident set before it; SPEC's bound is 50 MB.

`stream_export()` is the same measurement over HTTP, as a client downloads the file from a
running gunicorn: bench/run.py calls it at each size (the report's "Export" section), against a
one-worker server of its own, and measures that worker's resident set from /proc.
"""

import http.client
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bazaar.settings")


def status_kb(field: str, pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


# --- over HTTP, from a running gunicorn (bench/run.py) ---------------------------------------


def child_pids(parent: int) -> list[int]:
    """The live processes whose parent is `parent` (gunicorn's master: its workers), from
    /proc/<pid>/stat, which every kernel has (/proc/<pid>/task/*/children needs an option)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after it.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent and fields[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


def cpu_ticks(pid: int) -> int:
    """User + system CPU time of `pid` so far, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def reset_peak(pid: int) -> bool:
    """Set VmHWM back to the current VmRSS (Linux 4.0+, a process of the same user), so that
    the peak read afterwards is this export's and not the worker's start-up."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def stream_export(
    port: int, token: str, master_pid: int, path: str = "/api/orders/export/",
    warmup_path: str | None = None, timeout: float = 300,
) -> dict[str, Any]:  # fmt: skip
    """GET `path` from the gunicorn on `port` as a client downloads it (authenticated, the body
    read as it arrives, then discarded), and how much the worker that served it grew.

    Every worker of `master_pid` has its resident set read before and its peak (VmHWM) after;
    the one that served the export is the one that spent the most CPU meanwhile (with one
    worker, that one). `warmup_path` is requested first (unmeasured), so that the imports and
    caches of a first request are not counted as the export's growth."""
    headers = {"Authorization": f"Token {token}", "Accept": "text/csv"}

    def connect() -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    if warmup_path:
        conn = connect()
        conn.request("GET", warmup_path, headers=headers)
        conn.getresponse().read()
        conn.close()
    workers = child_pids(master_pid)
    if not workers:
        raise RuntimeError(f"gunicorn {master_pid} has no worker")
    before = {pid: status_kb("VmRSS", pid) for pid in workers}
    reset = [reset_peak(pid) for pid in workers]  # every one of them, not up to a failure
    peak_reset = all(reset)
    ticks = {pid: cpu_ticks(pid) for pid in workers}

    conn = connect()
    started = time.monotonic()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    first = None
    size = lines = 0
    tail = b""
    while True:
        chunk = response.read1(1 << 16)  # what has arrived, not a full buffer: a real TTFB
        if not chunk:
            break
        if first is None:
            first = time.monotonic() - started
        size += len(chunk)
        lines += chunk.count(b"\r\n") + (tail + chunk[:1] == b"\r\n")
        tail = chunk[-1:]
    elapsed = time.monotonic() - started
    status = response.status
    conn.close()

    alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    spent = {pid: cpu_ticks(pid) - ticks[pid] for pid in alive}
    served = max(spent, key=spent.get) if spent else None
    growth = {pid: (status_kb("VmHWM", pid) - before[pid]) / 1024 for pid in alive}
    rows = max(lines - 1, 0)  # the header
    return {
        "path": path,
        "status": status,
        "rows": rows,
        "bytes": size,
        "seconds": elapsed,
        "rows_per_s": rows / elapsed if elapsed else None,
        "mb_per_s": size / 1e6 / elapsed if elapsed else None,
        "first_byte_ms": None if first is None else first * 1000,
        "workers": len(workers),
        "worker_pid": served,
        "worker_rss_before_mb": None if served is None else before[served] / 1024,
        "worker_peak_mb": None if served is None else status_kb("VmHWM", served) / 1024,
        "worker_growth_mb": None if served is None else growth[served],
        "peak_reset": peak_reset,
        # A worker gone by the end (killed by the arbiter, or recycled) makes the figure void.
        "workers_lost": len(workers) - len(alive),
    }


def export_summary(e: dict[str, Any]) -> str:
    return (
        f"HTTP {e['status']}: {e['rows']:,} rows, {e['bytes'] / 1e6:.1f} MB "
        f"in {e['seconds']:.1f} s "
        f"({e['rows_per_s'] or 0:,.0f} rows/s), first byte after {e['first_byte_ms'] or 0:.0f} ms, "
        f"worker {e['worker_pid']} grew {e['worker_growth_mb'] or 0:.1f} MB"
    )


def export_report(e: dict[str, Any] | None) -> list[str]:
    """The report's lines on the export of one size (none when it was not run)."""
    if not e:
        return []
    reset = "" if e["peak_reset"] else " (VmHWM could not be reset: the peak may be start-up's)"
    return [
        "",
        "Export (SPEC §15): `GET /api/orders/export/`, every order as CSV, downloaded over HTTP "
        "from a gunicorn of its own (1 gthread worker, 2 threads, as `make run` serves); growth "
        "is that worker's peak resident set (VmHWM) during the export minus its resident set "
        f"before it (after a small warm-up export){reset}.",
        "",
        "| status | rows | MB | seconds | rows/s | MB/s | first byte ms | worker RSS before MB "
        "| worker peak MB | growth MB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {e['status']} | {e['rows']:,} | {e['bytes'] / 1e6:,.1f} | {e['seconds']:,.1f} "
        f"| {e['rows_per_s'] or 0:,.0f} | {e['mb_per_s'] or 0:,.2f} "
        f"| {e['first_byte_ms'] or 0:,.0f} "
        f"| {e['worker_rss_before_mb'] or 0:,.1f} | {e['worker_peak_mb'] or 0:,.1f} "
        f"| {e['worker_growth_mb'] or 0:,.1f} |",
    ]


def main() -> int:
    import django

    django.setup()
    from rest_framework.test import APIRequestFactory, force_authenticate

    from bazaar.accounts.models import User
    from bazaar.orders.models import Order
    from bazaar.orders.views import OrderExportViewSet

    params = dict(arg.split("=", 1) for arg in sys.argv[1:])  # e.g. rows=items status=new
    user = User.objects.filter(is_superuser=True).first() or User(
        username="bench", is_superuser=True, is_staff=True
    )
    orders = Order.objects.count()
    request = APIRequestFactory().get("/api/orders/export/", params)
    force_authenticate(request, user=user)
    view = OrderExportViewSet.as_view({"get": "list"})
    before = status_kb("VmRSS")
    started = time.monotonic()
    response = view(request)
    first = None
    size = rows = 0
    for chunk in response.streaming_content:
        if first is None:
            first = time.monotonic() - started
        size += len(chunk)
        rows += chunk.count(b"\r\n")
    elapsed = time.monotonic() - started
    growth_mb = (status_kb("VmHWM") - before) / 1024
    rows -= 1  # the header
    print(f"orders in the database: {orders}")
    rate = rows / elapsed
    print(f"rows exported: {rows} ({size / 1e6:.1f} MB) in {elapsed:.1f} s: {rate:.0f} rows/s")
    print(f"first bytes after {first * 1000:.0f} ms")
    print(f"resident set growth while streaming: {growth_mb:.1f} MB (SPEC: under 50 MB)")
    return 0 if growth_mb < 50 else 1


if __name__ == "__main__":
    raise SystemExit(main())
