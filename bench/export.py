"""The CSV export measured (SPEC §15): rows per second, time to the first byte, and how much the
process grows while it streams every order of a seeded database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bazaar_bench_1000000 \\
        .venv/bin/python bench/export.py            # make bench-export

In-process, through the real view (filters, keyset batches, the one read path, the CSV writer),
with the chunks discarded as a WSGI server would send them. Growth is the peak resident set
(VmHWM) after the export minus the resident set before it; SPEC's bound is 50 MB.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bazaar.settings")


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


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
