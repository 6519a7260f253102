"""What the demo data will contain, decided before anything is written.

Pure Python, no database: customers and orders are described by natural keys and catalogue
indexes (product index, method index, province code, city name, customer index), so the same
seed gives the same plan on any database, and the loader in `services.py` only maps keys to ids.

Every draw comes from `random.Random` seeded from the `--seed` value: same seed, same content.
Only the order keys (random by design) and the absolute timestamps (relative to the moment of the
run) differ between two runs.

What an order keeps of its shipments and refunds (SPEC §14: `fulfilment_status`, the items'
`quantity_shipped` / `quantity_returned`, `amount_refunded`) is computed here from the planned
shipments and refunds with `bazaar.fulfilment.rules`' own function, so it is what the services
would have stored.
"""

import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate
from typing import Generic, TypeVar

from bazaar.accounts.validators import national_code_checksum_ok
from bazaar.demo import catalogue
from bazaar.fulfilment.models import ShipmentStatus
from bazaar.fulfilment.rules import SHIPPED_STATUSES, fulfilment_status_for
from bazaar.orders import pricing
from bazaar.orders.status import Status

T = TypeVar("T")

DAY = 86_400  # seconds
YEAR = 365 * DAY


class Weighted(Generic[T]):
    """A weighted random choice whose cumulative weights are summed once: `random.choices`
    sums them again on every call, which was the plan's largest cost."""

    def __init__(self, weights: dict[T, float]) -> None:
        self.values = list(weights)
        self.cumulative = list(accumulate(weights.values()))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random) -> T:
        return self.values[
            bisect(self.cumulative, rng.random() * self.total, 0, len(self.values) - 1)
        ]


# The status mix by the order's age: fresh orders are still being worked on, old ones settled.
_STATUS_FRESH = Weighted({  # placed in the last two days
    Status.NEW: 40, Status.HOLD: 8, Status.PROCESSING: 25, Status.SHIPPED: 10,
    Status.COMPLETED: 5, Status.FAILED: 6, Status.CANCELLED: 4, Status.DELETED: 2,
})  # fmt: skip
_STATUS_RECENT = Weighted({  # two to fourteen days old
    Status.NEW: 6, Status.HOLD: 5, Status.PROCESSING: 12, Status.SHIPPED: 22,
    Status.COMPLETED: 38, Status.FAILED: 4, Status.CANCELLED: 7, Status.REFUNDED: 3,
    Status.DELETED: 3,
})  # fmt: skip
_STATUS_SETTLED = Weighted({  # older: mostly done, a few forgotten
    Status.NEW: 1, Status.HOLD: 1, Status.PROCESSING: 1, Status.SHIPPED: 2,
    Status.COMPLETED: 70, Status.FAILED: 5, Status.CANCELLED: 10, Status.REFUNDED: 5,
    Status.DELETED: 5,
})  # fmt: skip

# How long after it was placed an order last changed, by status (seconds, low-high).
_SETTLE_DELAY: dict[Status, tuple[int, int]] = {
    Status.NEW: (0, 0),
    Status.HOLD: (600, DAY),
    Status.FAILED: (60, 3_600),
    Status.CANCELLED: (3_600, 3 * DAY),
    Status.DELETED: (DAY, 20 * DAY),
    Status.PROCESSING: (1_800, DAY),
    Status.SHIPPED: (DAY, 3 * DAY),
    Status.COMPLETED: (3 * DAY, 10 * DAY),
    Status.REFUNDED: (10 * DAY, 30 * DAY),
}

# Payment stories by status (see `_payments`). Weights in percent.
_PAYMENT_STORIES: dict[Status, Weighted[str]] = {
    Status.NEW: Weighted({"none": 60, "pending": 25, "partial": 15}),
    Status.HOLD: Weighted({"none": 40, "pending": 30, "partial": 30}),
    Status.FAILED: Weighted({"declined": 85, "none": 15}),
    Status.CANCELLED: Weighted({"none": 60, "declined": 40}),
    Status.DELETED: Weighted({"none": 75, "declined": 25}),
    Status.PROCESSING: Weighted({"paid": 65, "split": 10, "retried": 10, "partial": 15}),
    Status.SHIPPED: Weighted({"paid": 70, "split": 15, "retried": 15}),
    Status.COMPLETED: Weighted({"paid": 75, "split": 12, "retried": 13}),
    Status.REFUNDED: Weighted({"paid": 85, "split": 15}),
}

_PAYMENT_METHOD = Weighted(
    {catalogue.GATEWAY: 55, catalogue.CARD_TO_CARD: 20, catalogue.CASH_ON_DELIVERY: 20, None: 5}
)
_SHIPPING_METHOD = Weighted({0: 55, 1: 30, 2: 15})  # post, Tipax, courier
_SHIPPING_METHOD_NO_COURIER = Weighted({0: 55, 1: 30})
_COURIER_PROVINCES = frozenset({"TH", "AL", "ES", "KV", "FA"})  # the big cities' provinces
_ITEM_COUNT = Weighted({1: 35, 2: 28, 3: 18, 4: 11, 5: 8})
_QUANTITY = Weighted({1: 70, 2: 18, 3: 7, 4: 3, 5: 2})
_PROVINCE = Weighted({p: p.population for p in catalogue.PROVINCES})
# The capital gets as many orders as the province's other cities together.
_BRANCH_BY_PROVINCE = {branch.province: i for i, branch in enumerate(catalogue.BRANCHES)}
_CITY: dict[str, Weighted[str]] = {
    p.code: Weighted(
        {city: (len(p.cities) - 1 or 1) if i == 0 else 1 for i, city in enumerate(p.cities)}
    )
    for p in catalogue.PROVINCES
}
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_POSTAL_LEAD_DIGITS = "13456789"  # Iranian postal codes use no 0 or 2 in their first five digits


@dataclass(frozen=True, slots=True)
class CustomerPlan:
    mobile_number: str
    first_name: str
    last_name: str
    email: str
    joined_age: int  # seconds before the run


@dataclass(frozen=True, slots=True)
class BillingPlan:
    state: str | None  # province code; None with a country only
    city: str | None
    address: str | None
    postal_code: str | None
    national_code: str | None
    mobile_number: str | None
    first_name: str | None
    last_name: str | None
    email: str | None = None  # guests only: their contact (SPEC §11)


@dataclass(frozen=True, slots=True)
class ReceiverPlan:
    """Who the parcel goes to, and where (the shipping_* fields, SPEC §11)."""

    first_name: str
    last_name: str
    mobile_number: str
    state: str
    city: str
    address: str
    postal_code: str | None


@dataclass(frozen=True, slots=True)
class ItemPlan:
    product: int  # index into catalogue.PRODUCTS
    unit_price: int
    unit_discount: int
    quantity: int
    notes: str


@dataclass(frozen=True, slots=True)
class PaymentPlan:
    method: int  # index into catalogue.PAYMENT_METHODS
    amount: int
    approved: bool
    transaction_id: str
    notes: str
    delay: int  # seconds after the order was placed


Lines = tuple[tuple[int, int], ...]  # (index into the order's items, quantity)


@dataclass(frozen=True, slots=True)
class ShipmentPlan:
    """One shipment of an order (SPEC §14); its carrier is the order's shipping method. Times are
    seconds after the order was placed."""

    status: ShipmentStatus
    lines: Lines
    tracking_number: str | None
    created: int
    shipped: int | None  # when it moved to shipped (kept when it was cancelled afterwards)
    delivered: int | None
    updated: int  # its last move
    notes: str = ""


@dataclass(frozen=True, slots=True)
class RefundPlan:
    payment: int  # index into the order's payments (an approved one)
    amount: int
    reason: str
    lines: Lines  # returned quantities
    delay: int  # seconds after the order was placed


@dataclass(frozen=True, slots=True)
class Fulfilment:
    """What the order and its items keep of the shipments and refunds (SPEC §14)."""

    status: str
    quantity_shipped: tuple[int, ...]  # by item index
    quantity_returned: tuple[int, ...]
    amount_refunded: int


@dataclass(frozen=True, slots=True)
class OrderPlan:
    age: int  # seconds before the run's reference time
    last_change: int  # seconds after placement; never later than the reference time
    status: Status
    customer: int | None  # index into the customer plan
    payment_method: int | None
    shipping_method: int | None
    shipping_cost: int
    notes: str | None
    extra: dict[str, str]
    billing: BillingPlan | None  # None: no billing data at all (billing_country null too)
    pickup_branch: int | None  # index into catalogue.BRANCHES: picked up, nothing shipped
    receiver: ReceiverPlan | None
    items: tuple[ItemPlan, ...]
    payments: tuple[PaymentPlan, ...]
    money: "MoneyPlan | None" = None  # SPEC §12: coupon, staff discount, tax, tags
    shipments: tuple[ShipmentPlan, ...] = ()  # SPEC §14
    refunds: tuple[RefundPlan, ...] = ()

    @property
    def total(self) -> int:
        return self.priced().total

    def fulfilment(self) -> Fulfilment:
        return fulfilment_of(self.items, self.shipments, self.refunds)

    def priced(self) -> pricing.OrderMoney:
        return priced(self.items, self.shipping_cost, self.money or NO_MONEY)


@dataclass(frozen=True, slots=True)
class MoneyPlan:
    coupon: int | None  # index into catalogue.COUPONS
    order_discount: int
    tax_rate: Decimal
    tags: tuple[str, ...]


NO_MONEY = MoneyPlan(None, 0, pricing.TAX_RATE_ZERO, ())
_APPLIED_COUPONS = [i for i, c in enumerate(catalogue.COUPONS) if c.applied]


def priced(items: tuple[ItemPlan, ...], shipping_cost: int, money: MoneyPlan) -> pricing.OrderMoney:
    """Every total of a planned order, by the API's own formulas (orders.pricing)."""
    return pricing.order_money(
        items_subtotal=sum(i.unit_price * i.quantity for i in items),
        items_discount=sum(i.unit_discount * i.quantity for i in items),
        shipping_cost=shipping_cost,
        coupon=coupon_terms(_spec(money.coupon)),
        order_discount=money.order_discount,
        tax_rate=money.tax_rate,
    )


def fulfilment_of(
    items: tuple[ItemPlan, ...],
    shipments: tuple[ShipmentPlan, ...],
    refunds: tuple[RefundPlan, ...],
) -> Fulfilment:
    """The stored SPEC §14 fields of a planned order, by the services' rules: shipped quantities
    count shipments that are shipped or delivered (`rules.SHIPPED_STATUSES`), the status is
    `rules.fulfilment_status_for`, the refunded amount the sum of the refunds."""
    shipped = [0] * len(items)
    delivered = [0] * len(items)
    returned = [0] * len(items)
    for shipment in shipments:
        if shipment.status in SHIPPED_STATUSES:
            for index, quantity in shipment.lines:
                shipped[index] += quantity
                if shipment.status == ShipmentStatus.DELIVERED:
                    delivered[index] += quantity
    for refund in refunds:
        for index, quantity in refund.lines:
            returned[index] += quantity
    status = fulfilment_status_for(
        [(index, item.quantity) for index, item in enumerate(items)],
        dict(enumerate(shipped)),
        dict(enumerate(delivered)),
    )
    return Fulfilment(
        status=str(status),
        quantity_shipped=tuple(shipped),
        quantity_returned=tuple(returned),
        amount_refunded=sum(refund.amount for refund in refunds),
    )


def coupon_terms(coupon: "catalogue.CouponSpec | None") -> pricing.CouponTerms | None:
    if coupon is None:
        return None
    return pricing.CouponTerms(coupon.kind, coupon.value, coupon.max_discount, coupon.min_subtotal)


def _money(rng: random.Random, items: tuple[ItemPlan, ...]) -> MoneyPlan:
    """Some orders carry a coupon (only where the goods reach its minimum), a staff discount,
    Iran's 9 % VAT, or labels. Drawn from a stream of their own, so the rest of the plan is the
    same as before these existed."""
    goods = sum((i.unit_price - i.unit_discount) * i.quantity for i in items)
    coupon = rng.choice(_APPLIED_COUPONS) if rng.random() < 0.15 else None
    if coupon is not None and goods < catalogue.COUPONS[coupon].min_subtotal:
        coupon = None
    order_discount = 0
    if rng.random() < 0.05:
        by_coupon = pricing.coupon_discount(coupon_terms(_spec(coupon)), goods)
        order_discount = min(rng.choice((100_000, 200_000, 500_000)), goods - by_coupon)
    tax_rate = Decimal(catalogue.TAX_RATE) if rng.random() < 0.3 else pricing.TAX_RATE_ZERO
    tags = tuple(rng.sample(catalogue.TAGS, rng.randint(1, 2))) if rng.random() < 0.25 else ()
    return MoneyPlan(coupon, max(order_discount, 0), tax_rate, tags)


def _spec(coupon: int | None) -> "catalogue.CouponSpec | None":
    return catalogue.COUPONS[coupon] if coupon is not None else None


def customer_count_for(orders: int) -> int:
    """About ten orders per customer, at least 500 customers and at most 100 000."""
    return max(500, min(orders // 10, 100_000))


def customer_plan(*, seed: int, count: int) -> list[CustomerPlan]:
    """`count` customers with unique mobile numbers. A prefix-stable list: the first 500 of a
    larger plan are the 500 of a smaller one, so runs with different `--orders` share them."""
    rng = random.Random(f"{seed}:customers")
    seen: set[str] = set()
    customers = []
    while len(customers) < count:
        mobile = rng.choice(catalogue.MOBILE_PREFIXES) + f"{rng.randrange(10**7):07d}"
        first, first_latin = _first_name(rng)
        last, last_latin = rng.choice(catalogue.LAST_NAMES)
        has_email = rng.random() < 0.45
        joined_age = rng.randrange(YEAR + DAY, 3 * YEAR)  # everyone joined before their orders
        if mobile in seen:
            continue
        seen.add(mobile)
        email = f"{first_latin}.{last_latin}{mobile[-3:]}@example.com" if has_email else ""
        customers.append(CustomerPlan(mobile, first, last, email, joined_age))
    return customers


def order_plan(*, seed: int, count: int, customers: list[CustomerPlan]) -> Iterator[OrderPlan]:
    """`count` orders, oldest first, spread over the last 365 days.

    A generator: a million orders are never all in memory. The newest nine orders take the nine
    statuses in a seeded order, so even a handful of orders shows every status.
    """
    rng = random.Random(f"{seed}:orders")
    money_rng = random.Random(f"{seed}:money")
    fulfilment_rng = random.Random(f"{seed}:fulfilment")
    every_status = list(Status)
    rng.shuffle(every_status)
    first_forced = count - len(every_status)
    for index in range(count):
        # Evenly spread with jitter, oldest first, so ids grow with created_at as in a real shop.
        age = max(1, int(YEAR * (1 - (index + rng.random()) / count)))
        status = (
            every_status[index - first_forced] if index >= first_forced else _status_for(rng, age)
        )
        yield _order(
            rng,
            age=age,
            status=status,
            customers=customers,
            money_rng=money_rng,
            fulfilment_rng=fulfilment_rng,
        )


def _order(
    rng: random.Random,
    *,
    age: int,
    status: Status,
    customers: list[CustomerPlan],
    money_rng: random.Random | None = None,
    fulfilment_rng: random.Random | None = None,
) -> OrderPlan:
    customer = rng.randrange(len(customers)) if rng.random() < 0.9 else None
    payment_method = _PAYMENT_METHOD.pick(rng)
    items = _items(rng)
    billing = _billing(rng, customer=customers[customer] if customer is not None else None)
    pickup_branch = _pickup_branch(rng, billing)
    if pickup_branch is None:
        shipping_method, shipping_cost = _shipping(rng, billing=billing, items=items)
        receiver = _receiver(rng, billing)
    else:
        shipping_method, shipping_cost, receiver = None, 0, None
    money = _money(money_rng, items) if money_rng is not None else NO_MONEY
    low, high = _SETTLE_DELAY[status]
    settled = min(age, rng.randint(low, high))
    payments = _payments(
        rng,
        status=status,
        total=priced(items, shipping_cost, money).total,
        method=payment_method,
        settled=settled,
        age=age,
    )
    shipments: tuple[ShipmentPlan, ...] = ()
    refunds: tuple[RefundPlan, ...] = ()
    if fulfilment_rng is not None:
        shipments, refunds = _fulfilment(
            fulfilment_rng,
            status=status,
            items=items,
            payments=payments,
            shipping_method=shipping_method if pickup_branch is None else None,
            shipped_to_door=pickup_branch is None,
            cash_on_delivery=payment_method == catalogue.CASH_ON_DELIVERY,
            shipping_cost=shipping_cost,
            settled=settled,
            age=age,
        )
    last_change = max(
        [
            settled,
            *(p.delay for p in payments),
            *(s.updated for s in shipments),
            *(r.delay for r in refunds),
        ]
    )
    return OrderPlan(
        age=age,
        last_change=last_change,
        status=status,
        customer=customer,
        payment_method=payment_method,
        shipping_method=shipping_method,
        shipping_cost=shipping_cost,
        notes=rng.choice(catalogue.ORDER_NOTES) if rng.random() < 0.2 else None,
        extra={"channel": rng.choice(catalogue.CHANNELS)} if rng.random() < 0.3 else {},
        billing=billing,
        pickup_branch=pickup_branch,
        receiver=receiver,
        items=items,
        payments=payments,
        money=money,
        shipments=shipments,
        refunds=refunds,
    )


def _status_for(rng: random.Random, age: int) -> Status:
    if age < 2 * DAY:
        return _STATUS_FRESH.pick(rng)
    if age < 14 * DAY:
        return _STATUS_RECENT.pick(rng)
    return _STATUS_SETTLED.pick(rng)


def _items(rng: random.Random) -> tuple[ItemPlan, ...]:
    count = _ITEM_COUNT.pick(rng)
    products = rng.sample(range(len(catalogue.PRODUCTS)), count)  # each product once per order
    items = []
    for product in products:
        price = catalogue.PRODUCTS[product].price
        if rng.random() < 0.15:  # sold at an older price: the snapshot keeps what was charged
            price = round(price * rng.uniform(0.85, 1.0), -4)
        discount = (
            round(price * rng.choice((0.05, 0.1, 0.15, 0.2)), -4) if rng.random() < 0.25 else 0
        )
        quantity = _QUANTITY.pick(rng)
        notes = rng.choice(catalogue.ITEM_NOTES) if rng.random() < 0.08 else ""
        items.append(ItemPlan(product, int(price), int(discount), quantity, notes))
    return tuple(items)


def _shipping(
    rng: random.Random, *, billing: BillingPlan | None, items: tuple[ItemPlan, ...]
) -> tuple[int | None, int]:
    if rng.random() < 0.05:
        return None, 0  # picked up in person or not decided yet
    courier_ok = billing is not None and billing.state in _COURIER_PROVINCES
    method = (_SHIPPING_METHOD if courier_ok else _SHIPPING_METHOD_NO_COURIER).pick(rng)
    items_total = sum((i.unit_price - i.unit_discount) * i.quantity for i in items)
    if items_total >= 500_000_000 and rng.random() < 0.7:
        return method, 0  # free shipping on large orders
    low, high = catalogue.SHIPPING_COSTS[method]
    return method, rng.randrange(low, high + 1, 10_000)


def _pickup_branch(rng: random.Random, billing: BillingPlan | None) -> int | None:
    """One in five orders from a province with a branch is picked up there."""
    if billing is None or billing.state not in _BRANCH_BY_PROVINCE or rng.random() >= 0.2:
        return None
    return _BRANCH_BY_PROVINCE[billing.state]


def _receiver(rng: random.Random, billing: BillingPlan | None) -> ReceiverPlan | None:
    """Mostly the billing person at the billing address; sometimes a gift to someone else."""
    if billing is not None and billing.city is not None and billing.state is not None:
        roll = rng.random()
        if roll < 0.85:
            return ReceiverPlan(
                billing.first_name or "", billing.last_name or "",
                billing.mobile_number or _mobile(rng), billing.state, billing.city,
                billing.address or _address(rng, billing.city), billing.postal_code,
            )  # fmt: skip
        if roll < 0.95:
            return ReceiverPlan(
                _first_name(rng)[0], rng.choice(catalogue.LAST_NAMES)[0], _mobile(rng),
                billing.state, billing.city, _address(rng, billing.city), _postal_code(rng),
            )  # fmt: skip
        return None
    if rng.random() < 0.6:
        province = _PROVINCE.pick(rng)
        city = _CITY[province.code].pick(rng)
        return ReceiverPlan(
            _first_name(rng)[0], rng.choice(catalogue.LAST_NAMES)[0], _mobile(rng),
            province.code, city, _address(rng, city), _postal_code(rng),
        )  # fmt: skip
    return None


def _billing(rng: random.Random, *, customer: CustomerPlan | None) -> BillingPlan | None:
    # Guests always leave their details; some customers' orders have none at all.
    if customer is not None and rng.random() < 0.07:
        return None
    province = _PROVINCE.pick(rng)
    if rng.random() < 0.03:  # only the country was given
        return BillingPlan(None, None, None, None, None, _mobile(rng), None, None)
    city = _CITY[province.code].pick(rng)
    if rng.random() < 0.03:  # province without a city
        return BillingPlan(province.code, None, None, None, None, _mobile(rng), None, None)
    email = None
    if customer is not None and rng.random() < 0.85:
        first, last, mobile = customer.first_name, customer.last_name, customer.mobile_number
    else:  # a guest, or a customer paying for someone else: another name and number
        (first, first_latin), (last, last_latin) = (
            _first_name(rng),
            rng.choice(catalogue.LAST_NAMES),
        )
        mobile = _mobile(rng)
        if customer is None and rng.random() < 0.6:
            email = f"{first_latin}.{last_latin}{rng.randrange(100)}@example.com"
    return BillingPlan(
        state=province.code,
        city=city,
        address=_address(rng, city),
        postal_code=_postal_code(rng) if rng.random() < 0.9 else None,
        national_code=_national_code(rng) if rng.random() < 0.7 else None,
        mobile_number=mobile,
        first_name=first,
        last_name=last,
        email=email,
    )


def _payments(
    rng: random.Random, *, status: Status, total: int, method: int | None, settled: int, age: int
) -> tuple[PaymentPlan, ...]:
    """Payment rows that fit the status. Approved amounts never exceed the total; completed,
    shipped-and-paid and refunded orders are paid in full (their refunds are rows of their own,
    see `_fulfilment`)."""
    story = _PAYMENT_STORIES[status].pick(rng)
    pay_with = catalogue.GATEWAY if method is None else method
    if pay_with == catalogue.CASH_ON_DELIVERY:
        # Cash is taken at the door: nothing before delivery, all of it on delivery.
        if status in {Status.COMPLETED, Status.REFUNDED}:
            story = "paid"
        elif story != "declined":
            story = "none"

    def when(low: int, high: int) -> int:
        return min(age, rng.randint(low, high))

    def payment(amount: int, approved: bool, delay: int, notes: str = "") -> PaymentPlan:
        return PaymentPlan(
            pay_with, amount, approved, _transaction_id(rng, pay_with, approved), notes, delay
        )

    if story == "none":
        return ()
    if story == "pending":  # a card-to-card receipt waiting to be checked, or an open gateway
        return (payment(total, False, when(60, 3_600)),)
    if story == "declined":
        return (payment(total, False, when(30, 600), "تراکنش ناموفق"),)
    if story == "partial":  # a deposit
        return (payment(_part_of(rng, total), True, when(300, DAY)),)
    if story == "split":
        first = _part_of(rng, total)
        return (
            payment(first, True, when(300, 3_600)),
            payment(total - first, True, when(3_600, max(3_600, settled))),
        )
    if story == "retried":
        return (
            payment(total, False, when(30, 300), "تراکنش ناموفق"),
            payment(total, True, when(300, 1_800)),
        )
    # "paid": cash on delivery is paid when the order settles, everything else up front
    delay = settled if pay_with == catalogue.CASH_ON_DELIVERY else when(30, 1_800)
    return (payment(total, True, delay),)


# SPEC §14 stories (see `_fulfilment`). Weights in percent.
_PROCESSING_SHIPMENTS = Weighted({"none": 55, "packed": 20, "partial": 25})
_REFUNDED_STORY = Weighted({"before_shipping": 50, "returned": 35, "lost": 15})
_COMPLETED_REFUND = Weighted({"none": 92, "returned": 5, "goodwill": 3})
_SPLIT_SHIPMENT = 0.2  # shipped in two parcels, where the order has two units or more
_VOIDED_FIRST = 0.05  # a first shipment cancelled while pending (wrong label, carrier changed)
HOUR = 3_600


def _fulfilment(
    rng: random.Random,
    *,
    status: Status,
    items: tuple[ItemPlan, ...],
    payments: tuple[PaymentPlan, ...],
    shipping_method: int | None,
    shipped_to_door: bool,
    cash_on_delivery: bool,
    shipping_cost: int,
    settled: int,
    age: int,
) -> tuple[tuple[ShipmentPlan, ...], tuple[RefundPlan, ...]]:
    """Shipments and refunds that fit the status, as the services would have made them.

    Shipments exist only for orders shipped to the door (a pickup order is handed over at the
    branch: nothing is shipped, SPEC §11) that reached `processing` (SPEC §14 makes them only
    while processing or shipped). Processing orders: none yet, packed (pending) or partly shipped;
    shipped: every quantity shipped, not all delivered; completed: every shipment delivered when
    the order settled. Refunded orders are refunded whole, payment by payment, before shipping,
    after a return of everything or for a parcel lost on the way; some completed orders get a
    partial refund, with returned quantities or as a gesture. The automatic moves of §14 then
    leave every status as planned: a processing order is never fully shipped, a completed one
    never refunded in full.
    """

    def at(moment: int, low: int = 0) -> int:
        return min(age, max(low, moment))

    approved = [i for i, p in enumerate(payments) if p.approved]
    paid = max((payments[i].delay for i in approved), default=0)
    # Prepaid goods leave once paid for; cash on delivery is paid at the door.
    ready = 0 if cash_on_delivery else paid
    everything: Lines = tuple((i, item.quantity) for i, item in enumerate(items))
    shipments: list[ShipmentPlan] = []
    refunds: list[RefundPlan] = []

    def voided(before: int) -> None:
        """A shipment cancelled while pending, before the one that went out at `before`."""
        created = at(before - rng.randint(2 * HOUR, DAY), ready)
        cancelled = at(created + rng.randint(600, HOUR), created)
        shipments.append(
            ShipmentPlan(
                ShipmentStatus.CANCELLED, everything, _tracking_number(rng, shipping_method),
                created, None, None, cancelled, rng.choice(catalogue.CANCELLED_SHIPMENT_NOTES),
            )
        )  # fmt: skip

    def ship(lines: Lines, shipped: int, delivered: int | None = None) -> None:
        created = at(shipped - rng.randint(HOUR, 12 * HOUR), ready)
        shipped = at(shipped, created)
        delivered = None if delivered is None else at(delivered, shipped)
        notes = rng.choice(catalogue.SHIPMENT_NOTES) if rng.random() < 0.05 else ""
        shipments.append(
            ShipmentPlan(
                ShipmentStatus.DELIVERED if delivered is not None else ShipmentStatus.SHIPPED,
                lines, _tracking_number(rng, shipping_method), created, shipped, delivered,
                delivered if delivered is not None else shipped, notes,
            )
        )  # fmt: skip

    def parcels() -> list[Lines]:
        split = _split(rng, everything) if rng.random() < _SPLIT_SHIPMENT else None
        return list(split) if split else [everything]

    if shipped_to_door and status == Status.PROCESSING:
        story = _PROCESSING_SHIPMENTS.pick(rng)
        split = _split(rng, everything) if story == "partial" else None
        if split is not None:  # part of it went out; the rest waits for stock
            first, rest = split
            ship(first, at(settled, ready))
            if rng.random() < 0.4:
                packed = at(settled, shipments[-1].updated)
                shipments.append(
                    ShipmentPlan(ShipmentStatus.PENDING, rest, None, packed, None, None, packed)
                )
        elif story != "none":  # packed, waiting for the carrier to collect it
            packed = at(settled, ready)
            tracking = _tracking_number(rng, shipping_method) if rng.random() < 0.5 else None
            shipments.append(
                ShipmentPlan(
                    ShipmentStatus.PENDING, everything, tracking, packed, None, None, packed
                )
            )
    elif shipped_to_door and status == Status.SHIPPED:
        if rng.random() < _VOIDED_FIRST:
            voided(settled)
        *earlier, last = parcels()
        for lines in earlier:  # the first parcel went a day or two before; maybe it arrived
            sent = at(settled - rng.randint(6 * HOUR, 2 * DAY), ready)
            ship(lines, sent, sent + rng.randint(DAY, 2 * DAY) if rng.random() < 0.5 else None)
        ship(last, at(settled, ready))
    elif shipped_to_door and status == Status.COMPLETED:
        if rng.random() < _VOIDED_FIRST:
            voided(settled - 3 * DAY)
        *earlier, last = parcels()
        for lines in earlier:
            arrived = at(settled - rng.randint(HOUR, DAY), ready)
            ship(lines, arrived - rng.randint(DAY, 2 * DAY), arrived)
        ship(last, settled - rng.randint(DAY, 3 * DAY), settled)

    if status == Status.REFUNDED and approved:
        story = _REFUNDED_STORY.pick(rng)
        if cash_on_delivery:
            story = "returned"  # cash is taken at the door: the goods had arrived
        elif not shipped_to_door and story == "lost":
            story = "before_shipping"
        refunded = settled
        if shipped_to_door and story == "returned":
            arrived = paid if cash_on_delivery else at(settled - rng.randint(2 * DAY, 7 * DAY))
            ship(everything, arrived - rng.randint(DAY, 3 * DAY), arrived)
            refunded = max(settled, arrived + rng.randint(DAY, 7 * DAY))
        elif story == "lost":
            ship(everything, at(settled - rng.randint(5 * DAY, 10 * DAY), ready))
        # Money goes back after it came in and after the parcel's last move.
        refunded = at(refunded, max([paid, *(shipment.updated for shipment in shipments)]))
        reason = rng.choice(catalogue.WHOLE_REFUND_REASONS[story])
        for n, index in enumerate(approved):  # each payment back whole; the goods on the first
            lines = everything if story == "returned" and n == 0 else ()
            refunds.append(
                RefundPlan(index, payments[index].amount, reason, lines, at(refunded + 60 * n))
            )
    elif status == Status.COMPLETED and approved:
        refund = _partial_refund(rng, items, payments, approved, shipping_cost)
        if refund is not None:
            refunded = at(settled + rng.randint(DAY, 10 * DAY), settled)
            refunds.append(
                RefundPlan(refund.payment, refund.amount, refund.reason, refund.lines, refunded)
            )
    shipments.sort(key=lambda shipment: shipment.created)  # ids follow the moment of creation
    return tuple(shipments), tuple(refunds)


def _partial_refund(
    rng: random.Random,
    items: tuple[ItemPlan, ...],
    payments: tuple[PaymentPlan, ...],
    approved: list[int],
    shipping_cost: int,
) -> RefundPlan | None:
    """Some of a completed order's money back, less than it paid (else it would be refunded):
    returned units at what they cost (SPEC §14's amount without `amount`), the shipping cost, or
    a part as a gesture. Its delay is set by the caller."""
    story = _COMPLETED_REFUND.pick(rng)
    if story == "none":
        return None
    paid = sum(payments[i].amount for i in approved)
    payment = max(approved, key=lambda i: payments[i].amount)
    lines: Lines = ()
    if story == "returned":
        index = rng.randrange(len(items))
        item = items[index]
        # Never the whole order back: that is a refund in full, not a return of some of it.
        most = item.quantity - 1 if len(items) == 1 else item.quantity
        if most >= 1:
            lines = ((index, rng.randint(1, most)),)
    if lines:
        amount = sum((items[i].unit_price - items[i].unit_discount) * q for i, q in lines)
        reason = rng.choice(catalogue.RETURN_REASONS)
    elif shipping_cost and rng.random() < 0.5:
        amount, reason = shipping_cost, catalogue.SHIPPING_REFUND_REASON
    else:
        amount = max(10_000, int(round(paid * rng.uniform(0.05, 0.15), -4)))
        reason = rng.choice(catalogue.GOODWILL_REASONS)
    if not 0 < amount <= payments[payment].amount or amount >= paid:
        return None
    return RefundPlan(payment, amount, reason, lines, 0)


def _split(rng: random.Random, everything: Lines) -> tuple[Lines, Lines] | None:
    """Two parcels of an order's quantities: the first lines (or units of its one line), then
    the rest. None for a single unit."""
    if len(everything) >= 2:
        cut = rng.randint(1, len(everything) - 1)
        return everything[:cut], everything[cut:]
    (index, quantity) = everything[0]
    if quantity < 2:
        return None
    first = rng.randint(1, quantity - 1)
    return ((index, first),), ((index, quantity - first),)


def _tracking_number(rng: random.Random, method: int | None) -> str | None:
    digits = catalogue.SHIPPING_METHODS[method].tracking_digits if method is not None else None
    if digits is None:
        return None  # the courier, or no carrier recorded: nothing to track
    return f"{rng.randrange(10 ** (digits - 1), 10**digits)}"


def _part_of(rng: random.Random, total: int) -> int:
    """A deposit: 20-60 % of the total rounded to 10 000 rial, always above 0 and below total."""
    part = round(total * rng.uniform(0.2, 0.6), -4)
    return int(min(max(part, 1), total - 1)) if total > 1 else total


def _transaction_id(rng: random.Random, method: int, approved: bool) -> str:
    if method == catalogue.GATEWAY:
        return f"{rng.randrange(10**11, 10**12)}"  # the bank's 12-digit reference number
    if method == catalogue.CARD_TO_CARD:
        return f"{rng.randrange(10**5, 10**6)}"  # the transfer's 6-digit tracking number
    return f"{rng.randrange(10**5, 10**6)}" if approved else ""  # the courier's POS receipt


def _first_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(catalogue.MALE_NAMES if rng.random() < 0.5 else catalogue.FEMALE_NAMES)


def _mobile(rng: random.Random) -> str:
    return rng.choice(catalogue.MOBILE_PREFIXES) + f"{rng.randrange(10**7):07d}"


def _address(rng: random.Random, city: str) -> str:
    street = rng.choice(catalogue.STREETS)
    alley = rng.randint(1, 40)
    plate = rng.randint(1, 250)
    address = f"{city}، خیابان {street}، کوچه {alley}، پلاک {plate}"
    if rng.random() < 0.6:
        address += f"، واحد {rng.randint(1, 24)}"
    return address.translate(_PERSIAN_DIGITS)


def _postal_code(rng: random.Random) -> str:
    head = "".join(rng.choice(_POSTAL_LEAD_DIGITS) for _ in range(5))
    return head + f"{rng.randrange(10**5):05d}"


def _national_code(rng: random.Random) -> str:
    """Nine random digits and the check digit that makes them a valid Iranian national code."""
    while True:
        body = f"{rng.randrange(10**9):09d}"
        remainder = sum(int(body[i]) * (10 - i) for i in range(9)) % 11
        code = body + str(remainder if remainder < 2 else 11 - remainder)
        if national_code_checksum_ok(code):  # rejects the all-same-digit codes
            return code
