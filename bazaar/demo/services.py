"""Writes the demo data: reference data get-or-created by natural keys, then orders in bulk.

Reference rows (country, provinces, cities, methods, products, customers) are looked up by their
natural keys first, so running the seed again adds none of them twice. Orders are what a run
adds: every run appends `orders` more (use `once=True` to load only into an empty database).

Orders stream from the plan in batches. Each batch is one transaction: the ids of its orders,
items, payments, shipments and refunds are reserved first, then those rows and the shipment and
refund lines are inserted as plain tuples (`bulk.py` explains why not `bulk_create`). Memory
stays bounded by the batch size, whatever the count; a run that stops half-way keeps the batches
it committed.
"""

import functools
import io
import itertools
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.files.base import ContentFile
from django.db import connection, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from bazaar.accounts.models import User
from bazaar.catalog.models import Product
from bazaar.coupons.models import Coupon
from bazaar.demo import catalogue
from bazaar.demo.bulk import datetime_adapter, insert_rows, json_text, reserve_ids
from bazaar.demo.models import SeedRun
from bazaar.demo.plan import (
    NO_MONEY,
    CustomerPlan,
    Fulfilment,
    OrderPlan,
    customer_count_for,
    customer_plan,
    order_plan,
)
from bazaar.fulfilment.models import Refund, RefundItem, Shipment, ShipmentItem
from bazaar.geo.models import City, Country, State
from bazaar.media.models import Image
from bazaar.media.services import image_create
from bazaar.methods.models import Branch, PaymentMethod, ShippingMethod
from bazaar.orders.models import (
    DeliveryMethod,
    FulfilmentStatus,
    Order,
    OrderItem,
    OrderPayment,
    OrderSource,
    new_order_key,
)
from bazaar.orders.services import product_image_snapshot, product_snapshot

DEFAULT_ORDERS = 300
DEFAULT_SEED = 42
ORDER_BATCH = 5_000  # orders per transaction; their items, payments, shipments, refunds too
_LOOKUP_CHUNK = 900  # ids per IN (...) list: below SQLite's historical 999-variable limit

T = TypeVar("T")


@dataclass
class SeedSummary:
    """What a run did: rows created per model, and how fast."""

    created: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    skipped: bool = False

    @property
    def orders_per_second(self) -> float:
        return self.created.get("orders", 0) / self.elapsed if self.elapsed else 0.0

    def lines(self) -> list[str]:
        if self.skipped:
            return ["Demo data already loaded"]
        width = max(len(name) for name in self.created)
        lines = [f"  {name:<{width}}  {count:>9,}" for name, count in self.created.items()]
        return [
            "Demo data created:",
            *lines,
            f"{self.elapsed:.1f} s, {self.orders_per_second:,.0f} orders/s",
        ]


@dataclass
class References:
    """Database ids for the catalogue's natural keys: what the order loader maps plans onto."""

    country: int
    states: dict[str, int]  # province code -> id
    cities: dict[tuple[str, str], int]  # (province code, city name) -> id
    payment_methods: list[int]  # by catalogue index
    shipping_methods: list[int]
    products: list[int]
    branches: list[int]  # by catalogue index
    product_data: list[dict[str, Any]]  # the snapshot an item of that product stores
    customers: list[int | None]  # by plan index; None when the number belongs to staff
    coupons: list[int] = field(default_factory=list)  # by catalogue index
    # By catalogue index: what builds a shipment's tracking_url, as the services build it.
    shipping_method_rows: list[ShippingMethod] = field(default_factory=list)


def demo_seed(
    *,
    orders: int = DEFAULT_ORDERS,
    seed: int = DEFAULT_SEED,
    once: bool = False,
    batch_size: int = ORDER_BATCH,
    on_progress: Callable[[int], None] | None = None,
) -> SeedSummary:
    """Load the demo shop and `orders` more orders. `once`: do nothing when the database already
    has orders or an earlier seed run. `on_progress(n)` is called after every batch of n orders."""
    started = time.monotonic()
    if once and demo_data_present():
        return SeedSummary(skipped=True)
    summary = SeedSummary()
    now = timezone.now()
    customers = customer_plan(seed=seed, count=customer_count_for(orders))
    with transaction.atomic():
        refs = references_ensure(summary=summary)
        refs.customers = customers_ensure(plans=customers, now=now, summary=summary)
    with _fast_bulk_writes():
        created = orders_load(
            plans=order_plan(seed=seed, count=orders, customers=customers),
            refs=refs,
            now=now,
            batch_size=batch_size,
            on_progress=on_progress,
        )
    summary.created.update(created)
    _refresh_planner_statistics()
    summary.elapsed = time.monotonic() - started
    SeedRun.objects.create(seed=seed, orders=orders, elapsed_seconds=round(summary.elapsed, 3))
    return summary


def demo_data_present() -> bool:
    """Whether the database has been seeded before or is in real use (has any order)."""
    return SeedRun.objects.exists() or Order.objects.exists()


# --- reference data ------------------------------------------------------------------------------


def references_ensure(*, summary: SeedSummary) -> References:
    """Get-or-create Iran, its provinces and cities, the methods and the products."""
    country, created = Country.objects.get_or_create(
        code=catalogue.COUNTRY_CODE, defaults={"name": catalogue.COUNTRY_NAME}
    )
    summary.created["countries"] = int(created)

    have_states = set(State.objects.filter(country=country).values_list("code", flat=True))
    new_states = [
        State(country=country, code=p.code, name=p.name)
        for p in catalogue.PROVINCES
        if p.code not in have_states
    ]
    State.objects.bulk_create(new_states)
    summary.created["provinces"] = len(new_states)
    states = dict(State.objects.filter(country=country).values_list("code", "id"))

    have_cities = set(City.objects.filter(state__country=country).values_list("state_id", "name"))
    new_cities = [
        City(state_id=states[p.code], name=name)
        for p in catalogue.PROVINCES
        for name in p.cities
        if (states[p.code], name) not in have_cities
    ]
    City.objects.bulk_create(new_cities)
    summary.created["cities"] = len(new_cities)
    code_of = {state_id: code for code, state_id in states.items()}
    cities = {
        (code_of[state_id], name): city_id
        for city_id, state_id, name in City.objects.filter(state__country=country).values_list(
            "id", "state_id", "name"
        )
    }

    images_before = Image.objects.count()
    payment_methods = _methods_ensure(PaymentMethod, catalogue.PAYMENT_METHODS, summary)
    shipping_methods = _methods_ensure(ShippingMethod, catalogue.SHIPPING_METHODS, summary)
    products = _products_ensure(summary)
    summary.created["images"] = Image.objects.count() - images_before
    return References(
        country=country.pk,
        states=states,
        cities=cities,
        payment_methods=[m.pk for m in payment_methods],
        shipping_methods=[m.pk for m in shipping_methods],
        shipping_method_rows=list(shipping_methods),
        products=[p.pk for p in products],
        branches=_branches_ensure(cities, summary),
        product_data=[_snapshot(p) for p in products],
        customers=[],
        coupons=_coupons_ensure(summary, now=timezone.now()),
    )


def _coupons_ensure(summary: SeedSummary, *, now: datetime) -> list[int]:
    """The demo coupons by code (SPEC §12); an existing coupon of that code is left as it is."""
    codes = [spec.code for spec in catalogue.COUPONS]
    existing = dict(Coupon.objects.filter(code__in=codes).values_list("code", "id"))

    def moment(days: int | None) -> datetime | None:
        return None if days is None else now + timedelta(days=days)

    new = [
        Coupon(
            code=spec.code,
            kind=spec.kind,
            value=spec.value,
            max_discount=spec.max_discount,
            min_subtotal=spec.min_subtotal,
            max_uses=spec.max_uses,
            max_uses_per_customer=spec.max_uses_per_customer,
            valid_from=moment(spec.valid_from_days),
            valid_to=moment(spec.valid_to_days),
            is_active=spec.is_active,
        )
        for spec in catalogue.COUPONS
        if spec.code not in existing
    ]
    Coupon.objects.bulk_create(new)
    existing.update((coupon.code, coupon.pk) for coupon in new)
    summary.created["coupons"] = len(new)
    return [existing[code] for code in codes]


def _methods_ensure(
    model: type[PaymentMethod | ShippingMethod],
    specs: tuple[catalogue.Method, ...],
    summary: SeedSummary,
) -> list[PaymentMethod | ShippingMethod]:
    # Names are not unique in the schema; the oldest method of that name is the demo's.
    found = {}
    for method in model.objects.filter(name__in=[s.name for s in specs]).order_by("id"):
        found.setdefault(method.name, method)
    made = 0
    methods = []
    for spec in specs:
        if spec.name not in found:
            image = _picture(spec.name, spec.label, spec.colour, size=(1200, 675))
            tracking = (
                {"tracking_url_template": spec.tracking_url_template}
                if spec.tracking_url_template
                else {}
            )  # an existing method keeps its own template, or none
            found[spec.name] = model.objects.create(name=spec.name, image=image, **tracking)
            made += 1
        methods.append(found[spec.name])
    summary.created[model._meta.verbose_name_plural] = made
    return methods


def _branches_ensure(cities: dict[tuple[str, str], int], summary: SeedSummary) -> list[int]:
    codes = [spec.code for spec in catalogue.BRANCHES]
    existing = dict(Branch.objects.filter(code__in=codes).values_list("code", "id"))
    new = [
        Branch(
            code=spec.code,
            name=spec.name,
            city_id=cities[(spec.province, spec.city)],
            address=spec.address,
            mobile_number=spec.mobile_number,
        )
        for spec in catalogue.BRANCHES
        if spec.code not in existing
    ]
    Branch.objects.bulk_create(new)
    existing.update((branch.code, branch.pk) for branch in new)
    summary.created["branches"] = len(new)
    return [existing[code] for code in codes]


def _products_ensure(summary: SeedSummary) -> list[Product]:
    codes = [spec.code for spec in catalogue.PRODUCTS]
    existing = {p.code: p for p in Product.objects.filter(code__in=codes)}
    made = 0
    for spec in catalogue.PRODUCTS:
        if spec.code in existing:
            continue
        slug = slugify(spec.title, allow_unicode=True)
        if Product.objects.filter(slug=slug).exists():  # a shop product already took the slug
            slug = f"{slug}-{spec.code}"
        image = _picture(spec.title, spec.label, catalogue.product_colour(spec.code), (240, 240))
        existing[spec.code] = Product.objects.create(
            code=spec.code, slug=slug, title=spec.title, price=spec.price, image=image
        )
        made += 1
    summary.created["products"] = made
    return [existing[code] for code in codes]


def _snapshot(product: Product) -> dict[str, Any]:
    """An item's `product_data`, made as the API's item_add makes it (the image's file path, not
    its URL)."""
    return product_snapshot(product, image=product_image_snapshot(product), options=[])


def _picture(name: str, label: str, colour: str, size: tuple[int, int]) -> Image:
    """A flat picture with its label, stored through the media service like any upload (so it
    gets its thumbnails)."""
    picture = PILImage.new("RGB", size, colour)
    draw = ImageDraw.Draw(picture)
    font = _font(min(size) // max(3, len(label) + 1))
    draw.text((size[0] / 2, size[1] / 2), label, fill="white", font=font, anchor="mm")
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    upload = ContentFile(buffer.getvalue(), name=f"{slugify(label) or 'demo'}.png")
    return image_create(upload=upload, name=name)


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)  # Pillow's bundled font: no system font needed


# --- customers -----------------------------------------------------------------------------------


def customers_ensure(
    *, plans: list[CustomerPlan], now: datetime, summary: SeedSummary
) -> list[int | None]:
    """Get-or-create the planned customers by mobile number, in bulk. Returns their ids by plan
    index; None where the number (or the username) already belongs to a staff user."""
    mobiles = [c.mobile_number for c in plans]
    in_use: set[str] = set()  # usernames and mobile numbers that someone already has
    customer_ids: dict[str, int] = {}  # mobile -> id, for the customers among them
    for chunk in _chunks(mobiles, _LOOKUP_CHUNK):
        rows = User.objects.filter(Q(mobile_number__in=chunk) | Q(username__in=chunk)).values_list(
            "id", "username", "mobile_number", "is_staff", "is_superuser"
        )
        for user_id, username, mobile, is_staff, is_superuser in rows:
            in_use.update({username, mobile} - {None})
            if mobile and not (is_staff or is_superuser):
                customer_ids[mobile] = user_id
    new_users = [
        User(
            username=c.mobile_number,
            mobile_number=c.mobile_number,
            first_name=c.first_name,
            last_name=c.last_name,
            email=c.email,
            # An unusable password, as set_unusable_password() makes, without its slower
            # per-character random string: customers never log in here.
            password=UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30),
            date_joined=now - timedelta(seconds=c.joined_age),
        )
        for c in plans
        if c.mobile_number not in in_use
    ]
    User.objects.bulk_create(new_users, batch_size=2_000)
    customer_ids.update((user.mobile_number, user.pk) for user in new_users)
    summary.created["customers"] = len(new_users)
    return [customer_ids.get(mobile) for mobile in mobiles]


# --- orders --------------------------------------------------------------------------------------


# Columns the loader writes, in the order of the tuples below (shipping_latitude/longitude
# stay null: the demo has no coordinates for its cities).
ORDER_FIELDS = (
    "id", "key", "status", "customer_id", "payment_method_id", "shipping_method_id",
    "shipping_cost", "notes", "extra",
    "billing_country_id", "billing_state_id", "billing_city_id", "billing_address",
    "billing_postal_code", "billing_national_code", "billing_mobile_number", "billing_first_name",
    "billing_last_name", "billing_email",
    "delivery_method", "pickup_branch_id",
    "shipping_country_id", "shipping_state_id", "shipping_city_id", "shipping_first_name",
    "shipping_last_name", "shipping_mobile_number", "shipping_address", "shipping_postal_code",
    "item_count", "item_quantity", "items_subtotal", "items_discount", "amount_paid",
    "created_at", "updated_at",
    # SPEC §12: the coupon as applied, its terms, the money they make, labels and source
    "coupon_id", "coupon_code", "coupon_kind", "coupon_value", "coupon_max_discount",
    "coupon_min_subtotal", "order_discount", "tax_rate", "coupon_discount", "tax", "total",
    "tags", "source",
    # SPEC §13: a seeded order is as it was made (its history starts with the next change)
    "version",
    # SPEC §14: what the order keeps of its shipments and refunds
    "fulfilment_status", "amount_refunded",
)  # fmt: skip
ITEM_FIELDS = (
    "id", "order_id", "product_id", "product_data", "options", "unit_price", "unit_discount",
    "quantity", "notes", "created_at", "updated_at", "quantity_shipped", "quantity_returned",
)  # fmt: skip
PAYMENT_FIELDS = (
    "id", "order_id", "payment_method_id", "amount", "approved", "transaction_id", "notes",
    "created_at", "updated_at",
)  # fmt: skip
SHIPMENT_FIELDS = (
    "id", "order_id", "status", "shipping_method_id", "tracking_number", "tracking_url", "notes",
    "shipped_at", "delivered_at", "created_at", "updated_at",
)  # fmt: skip
SHIPMENT_ITEM_FIELDS = ("shipment_id", "item_id", "quantity")
REFUND_FIELDS = ("id", "order_id", "payment_id", "amount", "reason", "created_at")
REFUND_ITEM_FIELDS = ("refund_id", "item_id", "quantity")


@dataclass
class _BatchRows:
    """One batch of orders with their children, as tuples in the *_FIELDS orders."""

    orders: list[tuple] = field(default_factory=list)
    items: list[tuple] = field(default_factory=list)
    payments: list[tuple] = field(default_factory=list)
    shipments: list[tuple] = field(default_factory=list)
    shipment_items: list[tuple] = field(default_factory=list)
    refunds: list[tuple] = field(default_factory=list)
    refund_items: list[tuple] = field(default_factory=list)

    def write(self) -> None:
        insert_rows(Order, ORDER_FIELDS, self.orders)
        insert_rows(OrderItem, ITEM_FIELDS, self.items)
        insert_rows(OrderPayment, PAYMENT_FIELDS, self.payments)
        insert_rows(Shipment, SHIPMENT_FIELDS, self.shipments)
        insert_rows(ShipmentItem, SHIPMENT_ITEM_FIELDS, self.shipment_items)
        insert_rows(Refund, REFUND_FIELDS, self.refunds)
        insert_rows(RefundItem, REFUND_ITEM_FIELDS, self.refund_items)


def orders_load(
    *,
    plans: Iterable[OrderPlan],
    refs: References,
    now: datetime,
    batch_size: int = ORDER_BATCH,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Write planned orders with their items, payments, shipments and refunds, `batch_size` orders
    per transaction.

    Rows go in as tuples through `bulk.insert_rows` (see there for why not bulk_create). The
    stored totals (item_count ... amount_paid) are computed from the same plan the item and
    payment rows come from, so they equal `order_totals_from_rows` without a second pass; what
    the order and its items keep of the shipments and refunds (SPEC §14) comes from the plan's
    `fulfilment()`, by the fulfilment services' own rule.

    On PostgreSQL the batches are written by a second thread on its own connection, so that the
    server inserts one batch while Python builds the next (the server's work, indexes and foreign
    key checks, is the larger part). Not inside an outer transaction (tests): a second connection
    would not see the reference rows that transaction holds, so batches are written in turn.
    """
    counts = dict.fromkeys(("orders", "order items", "order payments", "shipments", "refunds"), 0)
    build = _row_builder(refs, now)

    def done(rows: _BatchRows) -> None:
        counts["orders"] += len(rows.orders)
        counts["order items"] += len(rows.items)
        counts["order payments"] += len(rows.payments)
        counts["shipments"] += len(rows.shipments)
        counts["refunds"] += len(rows.refunds)
        if on_progress is not None:
            on_progress(len(rows.orders))

    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed-writer") as writer:
            try:
                pending: Future | None = None
                for batch in _chunks(plans, batch_size):
                    # Ids from the tables' sequences: reserved outside the writer's transaction.
                    rows = build(batch)
                    if pending is not None:
                        done(pending.result())  # at most two batches in memory
                    pending = writer.submit(_write_batch, rows)
                if pending is not None:
                    done(pending.result())
            finally:
                writer.submit(connections.close_all).result()  # the writer thread's connection
        return counts

    for batch in _chunks(plans, batch_size):
        with transaction.atomic():  # SQLite: reserve_ids relies on holding the write lock
            rows = build(batch)
            rows.write()
        done(rows)
    return counts


def _write_batch(rows: _BatchRows) -> _BatchRows:
    with transaction.atomic():
        rows.write()
    return rows


def _row_builder(refs: References, now: datetime) -> Callable[[list[OrderPlan]], _BatchRows]:
    """A function that turns planned orders into rows, with ids reserved for every row that
    another points at (orders; items and payments, which refunds and shipments name; shipments
    and refunds, which their lines name)."""
    product_json = [json_text(data) for data in refs.product_data]  # serialised once per product
    extra_json: dict[str, str] = {}
    db_datetime = datetime_adapter()
    methods = refs.shipping_method_rows

    def after(created: datetime, seconds: int | None) -> Any:
        return None if seconds is None else db_datetime(created + timedelta(seconds=seconds))

    def build(batch: list[OrderPlan]) -> _BatchRows:
        rows = _BatchRows()
        ids = reserve_ids(Order, len(batch))
        item_ids = iter(reserve_ids(OrderItem, sum(len(plan.items) for plan in batch)))
        payment_ids = iter(reserve_ids(OrderPayment, sum(len(plan.payments) for plan in batch)))
        shipment_ids = iter(reserve_ids(Shipment, sum(len(plan.shipments) for plan in batch)))
        refund_ids = iter(reserve_ids(Refund, sum(len(plan.refunds) for plan in batch)))
        for order_id, plan in zip(ids, batch, strict=True):
            key = new_order_key()
            # The sub-second part comes from the (random) key so that timestamps don't all share
            # the microseconds of `now`.
            created = now - timedelta(seconds=plan.age, microseconds=int(key[:5], 16) % 10**6)
            created_db = db_datetime(created)
            extra = json_text(plan.extra)
            extra = extra_json.setdefault(extra, extra)  # one string object per distinct value
            updated_db = db_datetime(created + timedelta(seconds=plan.last_change))
            fulfilment = plan.fulfilment() if plan.shipments or plan.refunds else NOTHING_SHIPPED
            rows.orders.append(
                _order_row(plan, refs, order_id, key, created_db, updated_db, extra, fulfilment)
            )
            item_of = []
            for index, item in enumerate(plan.items):
                item_id = next(item_ids)
                item_of.append(item_id)
                shipped, returned = (
                    (fulfilment.quantity_shipped[index], fulfilment.quantity_returned[index])
                    if fulfilment is not NOTHING_SHIPPED
                    else (0, 0)
                )
                rows.items.append(
                    (
                        item_id, order_id, refs.products[item.product], product_json[item.product],
                        "[]", item.unit_price, item.unit_discount, item.quantity, item.notes,
                        created_db, created_db, shipped, returned,
                    )
                )  # fmt: skip
            payment_of = []
            for payment in plan.payments:
                payment_id = next(payment_ids)
                payment_of.append(payment_id)
                paid_at = db_datetime(created + timedelta(seconds=payment.delay))
                rows.payments.append(
                    (
                        payment_id, order_id, refs.payment_methods[payment.method],
                        payment.amount, payment.approved, payment.transaction_id, payment.notes,
                        paid_at, paid_at,
                    )
                )  # fmt: skip
            method_id = _ref(refs.shipping_methods, plan.shipping_method)
            method = methods[plan.shipping_method] if plan.shipping_method is not None else None

            for shipment in plan.shipments:
                shipment_id = next(shipment_ids)
                number = shipment.tracking_number
                rows.shipments.append(
                    (
                        shipment_id, order_id, shipment.status.value, method_id, number,
                        method.tracking_url(number) if method is not None else None,
                        shipment.notes, after(created, shipment.shipped),
                        after(created, shipment.delivered), after(created, shipment.created),
                        after(created, shipment.updated),
                    )
                )  # fmt: skip
                rows.shipment_items.extend(
                    (shipment_id, item_of[index], quantity) for index, quantity in shipment.lines
                )
            for refund in plan.refunds:
                refund_id = next(refund_ids)
                rows.refunds.append(
                    (
                        refund_id, order_id, payment_of[refund.payment], refund.amount,
                        refund.reason, after(created, refund.delay),
                    )
                )  # fmt: skip
                rows.refund_items.extend(
                    (refund_id, item_of[index], quantity) for index, quantity in refund.lines
                )
        return rows

    return build


def _order_row(
    plan: OrderPlan,
    refs: References,
    order_id: int,
    key: str,
    created_db: Any,
    updated_db: Any,
    extra: str,
    fulfilment: Fulfilment,
) -> tuple:
    billing = plan.billing
    items = plan.items
    if billing is None:
        billing_columns: tuple = (None,) * 10
    else:
        billing_columns = (
            refs.country,
            refs.states[billing.state] if billing.state else None,
            refs.cities[(billing.state, billing.city)] if billing.city else None,
            billing.address, billing.postal_code, billing.national_code, billing.mobile_number,
            billing.first_name, billing.last_name, billing.email,
        )  # fmt: skip
    receiver = plan.receiver
    if receiver is None:
        shipping_columns: tuple = (None,) * 8
    else:
        shipping_columns = (
            refs.country, refs.states[receiver.state], refs.cities[(receiver.state, receiver.city)],
            receiver.first_name, receiver.last_name, receiver.mobile_number, receiver.address,
            receiver.postal_code,
        )  # fmt: skip
    pickup = plan.pickup_branch is not None
    money = plan.money or NO_MONEY
    priced = plan.priced()  # the API's formulas, so the stored money equals what it would store
    coupon = catalogue.COUPONS[money.coupon] if money.coupon is not None else None
    coupon_columns = (
        (None, None, None, None, None, 0)
        if coupon is None
        else (
            refs.coupons[money.coupon], coupon.code, coupon.kind, coupon.value,
            coupon.max_discount, coupon.min_subtotal,
        )
    )  # fmt: skip
    return (
        order_id,
        key,
        plan.status.value,
        refs.customers[plan.customer] if plan.customer is not None else None,
        _ref(refs.payment_methods, plan.payment_method),
        _ref(refs.shipping_methods, plan.shipping_method),
        plan.shipping_cost,
        plan.notes,
        extra,
        *billing_columns,
        DeliveryMethod.PICKUP.value if pickup else DeliveryMethod.SHIPPING.value,
        refs.branches[plan.pickup_branch] if pickup else None,
        *shipping_columns,
        len(items),
        sum(i.quantity for i in items),
        sum(i.unit_price * i.quantity for i in items),
        sum(i.unit_discount * i.quantity for i in items),
        sum(p.amount for p in plan.payments if p.approved),
        created_db,
        updated_db,
        *coupon_columns,
        priced.order_discount,
        money.tax_rate,
        priced.coupon_discount,
        priced.tax,
        priced.total,
        _tags_json(money.tags),
        OrderSource.DEMO.value,
        1,
        fulfilment.status,
        fulfilment.amount_refunded,
    )


# Most orders have neither shipments nor refunds: what they keep, without computing it each time.
NOTHING_SHIPPED = Fulfilment(FulfilmentStatus.UNFULFILLED.value, (), (), 0)


@functools.cache
def _tags_json(tags: tuple[str, ...]) -> str:
    return json_text(list(tags))


def _ref(ids: list[int], index: int | None) -> int | None:
    return ids[index] if index is not None else None


def _chunks(iterable: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(iterable)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


@contextmanager
def _fast_bulk_writes() -> Iterator[None]:
    """On SQLite, skip the fsync at WAL checkpoints while loading: a crash mid-load can lose the
    batches of this run, never earlier data (WAL keeps the file consistent). SQLite refuses the
    pragma inside a transaction (tests run in one), so it is then left alone."""
    tune = connection.vendor == "sqlite" and not connection.in_atomic_block
    if tune:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
    try:
        yield
    finally:
        if tune:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=NORMAL")


def _refresh_planner_statistics() -> None:
    """Bulk loads leave the query planner's statistics stale until autovacuum catches up; the
    admin's row estimate and the list filters' plans need them now. Outside a transaction it
    vacuums as well: until the visibility map is set, counting the orders of a coupon (spread
    over the whole table) reads a heap page per order instead of the index alone (412 ms
    against 4 ms for 36,000 orders at a million)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            models = (
                Order, OrderItem, OrderPayment, Shipment, ShipmentItem, Refund, RefundItem, User
            )  # fmt: skip
            tables = ", ".join(m._meta.db_table for m in models)
            vacuum = "" if connection.in_atomic_block else "VACUUM "
            cursor.execute(f"{vacuum}ANALYZE {tables}")
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA optimize")
