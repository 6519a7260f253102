"""Races through a real multi-worker server: gunicorn with several processes (each with its own
database connection, as in production), driven over HTTP by a pool of concurrent clients.

test_concurrency.py races threads of one process; here the requests cross process boundaries,
so only the database (the order row lock) can keep them apart. Every response is recorded: only
the statuses each operation may answer are allowed (no 5xx, no connection errors), and afterwards
the database must agree with what the clients were told — every 201 has its row unless a later
204 removed it, nothing refused left a row, the stored totals equal the rows, values written by
one client are not overwritten by another's stale copy, and approvals never pay past the total.

PostgreSQL only: several server processes writing one SQLite file is not the deployment this
guards, and SQLite serialises every writer anyway.
"""

import collections
import http.client
import json
import random
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from bazaar.accounts.models import User
from bazaar.api.tests.live_server import LiveServer, gunicorn, pytest_database_url
from bazaar.api.tests.live_server import request as live_request
from bazaar.catalog.tests.factories import ProductFactory
from bazaar.orders.models import Order, OrderItem, OrderPayment
from bazaar.orders.status import ITEMS_LOCKED, Status
from bazaar.orders.tests.totals import order_totals_from_rows

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="races between several server processes need PostgreSQL (row locks); several "
        "processes writing one SQLite file is not what this test is about",
    ),
    pytest.mark.django_db(transaction=True),
]

CLIENTS = 16
OPS_PER_CLIENT = 20  # 320 operations in all
TOTAL_FIELDS = ["item_count", "item_quantity", "items_subtotal", "items_discount", "amount_paid"]
STATUSES = [s.value for s in Status]
STATUS_WEIGHTS = [1 if s in ITEMS_LOCKED else 3 for s in Status]


# --- the server --------------------------------------------------------------------------------


@dataclass
class Server:
    kind: str
    live: LiveServer

    @property
    def port(self) -> int:
        return self.live.port

    @property
    def process(self):
        return self.live.process

    def log_text(self) -> str:
        return self.live.log_text()


@pytest.fixture(scope="module", params=["sync", "gthread"])
def server(request, django_db_setup, tmp_path_factory) -> Iterator[Server]:
    """gunicorn on the test database: 4 sync workers (one request per process at a time), or 4
    gthread workers with 2 threads each (two connections per process as well)."""
    threads = "1" if request.param == "sync" else "2"
    with gunicorn(
        tmp_path_factory.mktemp(f"races-{request.param}"),
        {"DATABASE_URL": pytest_database_url()},
        "--workers", "4", "--worker-class", request.param, "--threads", threads,
        "--timeout", "60",
    ) as live:  # fmt: skip
        yield Server(kind=request.param, live=live)


def _request(port: int, method: str, path: str, body=None, token: str | None = None):
    """One request on its own connection -> (status, parsed JSON body or text)."""
    status, content_type, raw = live_request(port, method, path, body, token)
    if raw and content_type.startswith("application/json"):
        return status, json.loads(raw)
    return status, raw.decode(errors="replace")


def _tokens(count: int) -> list[str]:
    """An Admin and `count` tokens of theirs, made the way an operator does (`create_token`)."""
    User.objects.create_superuser("racer", "racer@example.com", None)
    tokens = []
    for _ in range(count):
        out = StringIO()
        call_command("create_token", "racer", stdout=out)
        tokens.append(out.getvalue().strip())
    return tokens


# --- the recorded run ---------------------------------------------------------------------------


@dataclass
class Call:
    client: int
    order: int
    op: str
    status: int  # 0: no HTTP answer at all (connection refused/reset, timeout)
    body: object
    sent: dict | None = None
    target: int | None = None  # the item or payment the call was about


@dataclass
class ClientState:
    """What one client knows: the rows it made (only their maker changes or deletes them)."""

    items: dict[int, dict] = field(default_factory=dict)  # id -> {order, tag, quantity}
    payments: dict[int, dict] = field(default_factory=dict)  # id -> {order, tag, amount, approved}


ALLOWED = {
    "add_item": {201, 409},  # 409: the order is completed, refunded or deleted
    "patch_item": {200, 409},
    "delete_item": {204, 409},
    "add_payment": {201, 400, 409},  # 400: approving it would overpay; 409: order deleted
    "approve_payment": {200, 400, 409},
    "delete_payment": {204, 409},
    "status": {200, 400},  # 400: not an allowed move from the current status
    "notes": {200},
    "shipping": {200},
    "get": {200},
}


def _find(rows: list[dict], key: str, tag: str) -> dict:
    found = [row for row in rows if row[key] == tag]
    assert len(found) == 1, f"{tag!r} is not exactly once in the answer: {rows}"
    return found[0]


class Run:
    def __init__(self, port: int, tokens: list[str], mixed: list[int], pay_only: int, products):
        self.port, self.tokens = port, tokens
        self.mixed, self.pay_only, self.products = mixed, pay_only, products
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        # One client per (order, field) edits notes / shipping_cost: the final value must then
        # be exactly that client's last accepted one, whatever the other clients did meanwhile.
        self.field_owner: dict[tuple[int, str], int] = {}
        if mixed:
            self.field_owner = {(mixed[0], "notes"): 0, (mixed[0], "shipping"): 1,
                                (mixed[1], "notes"): 2, (mixed[1], "shipping"): 3,
                                (pay_only, "notes"): 4}  # fmt: skip

    def call(
        self, client: int, order: int, op: str, method: str, path: str, body=None, target=None
    ):
        try:
            status, answer = _request(self.port, method, path, body, self.tokens[client])
        except (OSError, http.client.HTTPException) as exc:
            status, answer = 0, repr(exc)
        call = Call(client, order, op, status, answer, body, target)
        with self.lock:
            self.calls.append(call)
        return call

    def client(self, index: int) -> ClientState:
        rng = random.Random(8_000 + index)
        state = ClientState()
        for n in range(OPS_PER_CLIENT):
            tag = f"c{index}-op{n}"
            order = rng.choice([*self.mixed, *self.mixed, self.pay_only])
            owned = [
                f for (o, f), owner in self.field_owner.items() if o == order and owner == index
            ]
            if owned and rng.random() < 0.4:
                self.edit(index, order, rng.choice(owned), tag, rng)
            elif order == self.pay_only:
                self.payment_op(index, order, tag, rng, state)
            else:
                kind = rng.choices(["item", "payment", "status", "get"], weights=[50, 30, 15, 5])[0]
                if kind == "item":
                    self.item_op(index, order, tag, rng, state)
                elif kind == "payment":
                    self.payment_op(index, order, tag, rng, state)
                elif kind == "status":
                    # The statuses that lock items are drawn less often, so that the orders do
                    # not spend most of the run refusing item writes.
                    target = rng.choices(STATUSES, weights=STATUS_WEIGHTS)[0]
                    self.call(index, order, "status", "PATCH", f"/api/orders/{order}/",
                              {"status": target})  # fmt: skip
                else:
                    self.call(index, order, "get", "GET", f"/api/orders/{order}/")
        return state

    def edit(self, index: int, order: int, what: str, tag: str, rng: random.Random) -> None:
        body = {"notes": tag} if what == "notes" else {"shipping_cost": rng.randrange(0, 5_000)}
        self.call(index, order, what, "PATCH", f"/api/orders/{order}/", body)

    def item_op(self, index, order, tag, rng, state: ClientState) -> None:
        mine = [i for i, item in state.items.items() if item["order"] == order]
        op = rng.choices(["add", "patch", "delete"], weights=[50, 30, 20])[0] if mine else "add"
        base = f"/api/orders/{order}/items/"
        if op == "add":
            body = {"product": rng.choice(self.products), "quantity": rng.randint(1, 5),
                    "notes": tag}  # fmt: skip
            call = self.call(index, order, "add_item", "POST", base, body)
            if call.status == 201:
                item = _find(call.body["items"], "notes", tag)
                call.target = item["id"]
                state.items[item["id"]] = {"order": order, "tag": tag, "quantity": item["quantity"]}
        elif op == "patch":
            item_id = rng.choice(mine)
            quantity = rng.randint(1, 9)
            call = self.call(index, order, "patch_item", "PATCH", f"{base}{item_id}/",
                             {"quantity": quantity}, item_id)  # fmt: skip
            if call.status == 200:
                state.items[item_id]["quantity"] = quantity
        else:
            item_id = rng.choice(mine)
            call = self.call(
                index, order, "delete_item", "DELETE", f"{base}{item_id}/", None, item_id
            )
            if call.status == 204:
                del state.items[item_id]

    def payment_op(self, index, order, tag, rng, state: ClientState) -> None:
        mine = [p for p, pay in state.payments.items() if pay["order"] == order]
        pending = [p for p in mine if not state.payments[p]["approved"]]
        choices, weights = ["add"], [60]
        if pending:
            choices, weights = [*choices, "approve"], [*weights, 30]
        if mine:
            choices, weights = [*choices, "delete"], [*weights, 10]
        op = rng.choices(choices, weights=weights)[0]
        base = f"/api/orders/{order}/payments/"
        if op == "add":
            body = {"amount": rng.randrange(100, 3_000), "approved": rng.random() < 0.5,
                    "transaction_id": tag}  # fmt: skip
            call = self.call(index, order, "add_payment", "POST", base, body)
            if call.status == 201:
                pay = _find(call.body["payments"], "transaction_id", tag)
                call.target = pay["id"]
                state.payments[pay["id"]] = {"order": order, "tag": tag, "amount": body["amount"],
                                             "approved": body["approved"]}  # fmt: skip
            elif call.status == 400:
                assert body["approved"], call  # only an approval can overpay
        elif op == "approve":
            pay_id = rng.choice(pending)
            call = self.call(index, order, "approve_payment", "PATCH", f"{base}{pay_id}/",
                             {"approved": True}, pay_id)  # fmt: skip
            if call.status == 200:
                state.payments[pay_id]["approved"] = True
        else:
            pay_id = rng.choice(mine)
            call = self.call(
                index, order, "delete_payment", "DELETE", f"{base}{pay_id}/", None, pay_id
            )
            if call.status == 204:
                del state.payments[pay_id]


def _histogram(calls: list[Call]) -> dict[str, int]:
    return dict(sorted(collections.Counter(str(c.status) for c in calls).items()))


# --- the tests ----------------------------------------------------------------------------------


def test_320_mixed_writes_from_16_clients_keep_every_order_consistent(server):
    tokens = _tokens(CLIENTS)
    products = [ProductFactory(price=price).pk for price in (1_000, 2_500, 4_000)]
    mixed = [Order.objects.create().pk, Order.objects.create().pk]
    # The payment-only order: a fixed total of 10 000 that no one changes, so approvals are the
    # only thing that can take amount_paid above it.
    pay_only = Order.objects.create(notes="initial")
    OrderItem.objects.create(order=pay_only, product_id=products[0], unit_price=5_000,
                             quantity=2, product_data={}, notes="seeded")  # fmt: skip
    Order.objects.filter(pk=pay_only.pk).update(**order_totals_from_rows(order_id=pay_only.pk))

    run = Run(server.port, tokens, mixed, pay_only.pk, products)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        states = list(pool.map(run.client, range(CLIENTS)))
    elapsed = time.monotonic() - started
    calls = run.calls

    # Every request was answered, with a status its operation may answer.
    assert len(calls) == CLIENTS * OPS_PER_CLIENT
    unexpected = [c for c in calls if c.status not in ALLOWED[c.op]]
    assert not unexpected, unexpected[:5]
    for call in calls:
        if call.status == 409:
            assert "while the order is" in call.body["detail"], call
        if call.status == 400 and call.op in {"add_payment", "approve_payment"}:
            assert "outstanding amount" in call.body["amount"][0], call
        if call.status == 400 and call.op == "status":
            assert "Allowed next statuses" in call.body["status"][0], call

    for order in Order.objects.filter(pk__in=[*mixed, pay_only.pk]):
        # Stored totals equal the rows.
        stored = {name: getattr(order, name) for name in TOTAL_FIELDS}
        assert stored == order_totals_from_rows(order_id=order.pk), order.pk
        # No lost or phantom rows: exactly the adds answered 201 and not deleted by a 204 exist,
        # with the quantity / approval their maker was last told.
        items = {i: s for st in states for i, s in st.items.items() if s["order"] == order.pk}
        rows = OrderItem.objects.filter(order=order).exclude(notes="seeded")
        assert {r.pk: (r.notes, r.quantity) for r in rows} == {
            i: (s["tag"], s["quantity"]) for i, s in items.items()
        }, order.pk
        payments = {p: s for st in states for p, s in st.payments.items() if s["order"] == order.pk}
        assert {
            r.pk: (r.transaction_id, r.amount, r.approved)
            for r in OrderPayment.objects.filter(order=order)
        } == {p: (s["tag"], s["amount"], s["approved"]) for p, s in payments.items()}, order.pk
        # No lost update: a field edited by one client only holds that client's last accepted
        # value, although other clients rewrote the same row (totals, status) all along.
        for (owned_order, what), owner in run.field_owner.items():
            if owned_order != order.pk:
                continue
            accepted = [c for c in calls if c.client == owner and c.order == order.pk
                        and c.op == what and c.status == 200]  # fmt: skip
            if what == "notes":
                assert order.notes == (accepted[-1].sent["notes"] if accepted else
                                       ("initial" if order.pk == pay_only.pk else None))  # fmt: skip
            else:
                assert order.shipping_cost == (
                    accepted[-1].sent["shipping_cost"] if accepted else 0
                )
        # The status is one some client was told it set (or the initial one).
        set_to = {c.sent["status"] for c in calls if c.order == order.pk and c.op == "status"
                  and c.status == 200}  # fmt: skip
        assert order.status in set_to | {Status.NEW}

    pay_only.refresh_from_db()
    assert pay_only.amount_paid <= pay_only.total == 10_000
    assert server.process.poll() is None
    assert "Traceback" not in server.log_text()

    ops = collections.Counter(c.op for c in calls)
    sys.stdout.write(
        f"\n[server races {server.kind}] {len(calls)} requests in {elapsed:.1f} s "
        f"({len(calls) / elapsed:.0f}/s), statuses {_histogram(calls)}, operations {dict(ops)}; "
        f"final rows: {OrderItem.objects.count() - 1} items, {OrderPayment.objects.count()} "
        f"payments; payment-only order paid {pay_only.amount_paid} of {pay_only.total}\n"
    )


def _barrier_run(jobs) -> list[Call]:
    barrier = threading.Barrier(len(jobs))

    def start(job):
        barrier.wait(timeout=30)
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(start, jobs))


def test_concurrent_approvals_accept_exactly_the_payments_that_fit(server):
    tokens = _tokens(16)
    product = ProductFactory(price=10_000)

    def order_of_10000() -> Order:
        order = Order.objects.create()
        OrderItem.objects.create(order=order, product=product, unit_price=10_000, product_data={})
        Order.objects.filter(pk=order.pk).update(**order_totals_from_rows(order_id=order.pk))
        return order

    run = Run(server.port, tokens, [], 0, [])

    # 16 pending payments of 1 000 on a total of 10 000, approved all at once: exactly 10 fit.
    order = order_of_10000()
    pending = [OrderPayment.objects.create(order=order, amount=1_000) for _ in range(16)]
    calls = _barrier_run([
        lambda i=i, p=p: run.call(i, order.pk, "approve_payment", "PATCH",
                                  f"/api/orders/{order.pk}/payments/{p.pk}/", {"approved": True})
        for i, p in enumerate(pending)
    ])  # fmt: skip
    assert sorted(c.status for c in calls) == [200] * 10 + [400] * 6
    assert all("outstanding amount is 0" in c.body["amount"][0] for c in calls if c.status == 400)
    order.refresh_from_db()
    assert order.amount_paid == 10_000 == order.total
    assert OrderPayment.objects.filter(order=order, approved=True).count() == 10

    # 12 new approved payments of mixed amounts (28 800 in all) posted at once: whatever the
    # order they are served in, the accepted ones fit, and every refused one would not have.
    order = order_of_10000()
    amounts = [4_000, 3_000, 3_000, 2_500, 2_000, 1_500, 1_000, 700, 500, 300, 6_000, 4_300]
    calls = _barrier_run([
        lambda i=i, a=a: run.call(i, order.pk, "add_payment", "POST",
                                  f"/api/orders/{order.pk}/payments/",
                                  {"amount": a, "approved": True, "transaction_id": f"t{i}"})
        for i, a in enumerate(amounts)
    ])  # fmt: skip
    assert {c.status for c in calls} <= {201, 400}
    order.refresh_from_db()
    accepted = [c.sent["amount"] for c in calls if c.status == 201]
    refused = [c.sent["amount"] for c in calls if c.status == 400]
    assert accepted and refused
    assert order.amount_paid == sum(accepted) <= order.total == 10_000
    assert all(amount > order.total - order.amount_paid for amount in refused)
    assert sorted(p.amount for p in OrderPayment.objects.filter(order=order)) == sorted(accepted)
    assert "Traceback" not in server.log_text()
    sys.stdout.write(
        f"\n[approval races {server.kind}] 16 x 1000 on 10000: 10 accepted; "
        f"mixed amounts: accepted {sorted(accepted)} = {sum(accepted)}, refused {sorted(refused)}\n"
    )
