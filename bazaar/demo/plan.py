"""What the demo data will contain, decided before anything is written.

Pure Python, no database: customers and orders are described by natural keys and catalogue
indexes (product index, method index, province code, city name, customer index), so the same
seed gives the same plan on any database, and the loader in `services.py` only maps keys to ids.

Every draw comes from `random.Random` seeded from the `--seed` value: same seed, same content.
Only the order keys (random by design) and the absolute timestamps (relative to the moment of the
run) differ between two runs.
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

    @property
    def total(self) -> int:
        return self.priced().total

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
    every_status = list(Status)
    rng.shuffle(every_status)
    first_forced = count - len(every_status)
    for index in range(count):
        # Evenly spread with jitter, oldest first, so ids grow with created_at as in a real shop.
        age = max(1, int(YEAR * (1 - (index + rng.random()) / count)))
        status = (
            every_status[index - first_forced] if index >= first_forced else _status_for(rng, age)
        )
        yield _order(rng, age=age, status=status, customers=customers, money_rng=money_rng)


def _order(
    rng: random.Random,
    *,
    age: int,
    status: Status,
    customers: list[CustomerPlan],
    money_rng: random.Random | None = None,
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
    last_change = max([settled, *(p.delay for p in payments)])
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
    shipped-and-paid and refunded orders are paid in full (a refund is money returned outside
    the order's payments, noted on the payment)."""
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

    refund_note = "وجه به مشتری بازگردانده شد." if status == Status.REFUNDED else ""
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
            payment(total - first, True, when(3_600, max(3_600, settled)), refund_note),
        )
    if story == "retried":
        return (
            payment(total, False, when(30, 300), "تراکنش ناموفق"),
            payment(total, True, when(300, 1_800), refund_note),
        )
    # "paid": cash on delivery is paid when the order settles, everything else up front
    delay = settled if pay_with == catalogue.CASH_ON_DELIVERY else when(30, 1_800)
    return (payment(total, True, delay, refund_note),)


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
