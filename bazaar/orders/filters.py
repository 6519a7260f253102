"""The order list's filters and search (SPEC §5 "List parameters", source 002)."""

from dataclasses import dataclass, replace

import django_filters
from django import forms
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import RawSQL
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from bazaar.accounts.validators import to_ascii_digits
from bazaar.api.filtersets import (
    MAX_ID,
    ChoiceInFilter,
    DateInZoneFilter,
    FilterSet,
    HasValueFilter,
    IdFilter,
    IdInFilter,
    IntegerBoundFilter,
    MomentFilter,
    StrictBooleanField,
    StrictCSVField,
)
from bazaar.api.text import WHITESPACE_CLASS, term_spellings
from bazaar.coupons.models import Coupon
from bazaar.coupons.rules import CODE_MAX, CODE_MIN, normalize_code
from bazaar.customers.models import Customer
from bazaar.fulfilment.models import Shipment
from bazaar.geo.models import City, Country, State
from bazaar.orders import (
    lookups,  # noqa: F401 (registers tags__has_tag, tags__has_any_tag)
    selectors,
)
from bazaar.orders.models import DeliveryMethod, FulfilmentStatus, Order
from bazaar.orders.status import Status

ORDERING_FIELDS = [
    "id",
    "status",
    "customer__id",
    "customer__username",
    "customer__first_name",
    "customer__last_name",
    "shipping_cost",
    "created_at",
    "updated_at",
    "total",
]


def _contains_any(column: str, spellings: list[str]) -> Q:
    q = Q()
    for spelling in spellings:
        q |= Q(**{f"{column}__contains": spelling})
    return q


# A term that matches more related rows than this (a very common name) is matched through a
# subquery instead of a list of ids, so that a request never carries an unbounded list.
RELATED_IDS_LIMIT = 5_000


def _related_match(column: str, matches: QuerySet) -> Q | None:
    """`column IN (ids the term matches)`, with the ids looked up first, or None when none match.

    Why not `column IN (SELECT ...)` directly: PostgreSQL cannot estimate such a subquery, so it
    assumes most orders match, walks the whole date index and filters every row (1.8 s at a
    million orders, docs/performance-explain.md). With the ids as a list it combines one index
    scan per column (ids, key prefix, trigram indexes) and reads only the orders that match."""
    ids = list(matches.values_list("pk", flat=True)[: RELATED_IDS_LIMIT + 1])
    if not ids:
        return None
    if len(ids) > RELATED_IDS_LIMIT:
        return Q(**{f"{column}__in": matches.values("pk")})
    return Q(**{f"{column}__in": ids})


def tracking_spellings(term: str) -> list[str]:
    """The ways a tracking number may be stored: as typed (Latin digits, SPEC §8's digit
    normalisation) and in either case, since carriers print them upper-case and people type
    them in lower-case."""
    typed = to_ascii_digits(term.strip())
    return list(dict.fromkeys([typed, typed.upper(), typed.lower()]))


def tracking_number_q(term: str) -> Q | None:
    """Orders with a shipment of this tracking number (SPEC §14), or None when there is none.
    An equality on the indexed `Shipment.tracking_number`; the order ids are looked up first, as
    `_related_match` does, so the orders are read by their primary key."""
    shipments = Shipment.objects.filter(tracking_number__in=tracking_spellings(term))
    ids = list(shipments.values_list("order_id", flat=True)[: RELATED_IDS_LIMIT + 1])
    if not ids:
        return None
    if len(ids) > RELATED_IDS_LIMIT:
        return Q(id__in=shipments.values("order_id"))
    return Q(id__in=ids)


@dataclass(frozen=True)
class SearchParts:
    """What one search term matches, in parts: `spellings`, looked for inside the order's own
    folded `search_text` and its customer's; `customers`, the orders of the customers it
    matches (a list of ids, or a subquery past RELATED_IDS_LIMIT; None when none match or when
    the postings answer); `others`, the rest (id, key prefix, places, coupon, tracking number).

    On PostgreSQL (`by_postings`), the word postings answer the spellings, the customers' text
    included: `matches` is then the exact number of live orders the term matches, and `joined`
    says how a page of them is read (`selectors.matches_read_by_id`). The list filters by their
    union (`q`); its count is `matches` (selectors.order_search_count)."""

    spellings: list[str]
    customers: Q | None
    others: Q
    by_postings: bool = False
    matches: int | None = None
    joined: bool = False
    # Deleted orders have no postings: where a list may show them, their rows' text.
    deleted: Q | None = None
    # The ids of the page asked for (`order_search_parts(page=...)`), read from the postings.
    page: list[int] | None = None

    @property
    def q(self) -> Q:
        if self.by_postings:
            if self.joined:  # one list of ids, read by primary key
                return Q(pk__in=RawSQL(*selectors.term_order_ids_sql(self)))  # noqa: S611
            # A condition checked while walking the page's index: a hashed set of the ids.
            postings = RawSQL(*selectors.postings_sql(self.spellings))  # noqa: S611 (placeholders)
            q = Q(pk__in=postings) | self.others
            return q | self.deleted if self.deleted is not None else q
        q = _contains_any("search_text", self.spellings) | self.others
        return q | self.customers if self.customers is not None else q


def order_search_parts(
    term: str,
    *,
    window: int = 100,
    postings: bool = True,
    deleted: bool = True,
    page: tuple[int, int] | None = None,
) -> SearchParts:
    """One search term, folded (SPEC §16): id and customer id exactly (when an integer), key by
    prefix, and "contains" on the order's folded `search_text` (notes, billing and shipping
    names, mobiles, e-mail), the customer's folded `search_text` and the billing place names.
    A mobile number typed in another §8 form is also looked for as its stored `09…` spelling.
    `window`: the offset + limit of the page it is for; `deleted`: whether the list may show
    deleted orders; `postings=False` matches the rows' text even where the postings could
    answer (the reference the postings are tested against); `page` (offset, limit): the page a
    list that has no other filter and its default order reads, whose ids the postings then give
    with the count (`SearchParts.page`; None where they cannot answer).

    PostgreSQL answers the text from the word postings (`selectors.postings_sql`); elsewhere,
    the trigram index of `search_text` (migration 0009) and the customers' ids looked up first
    (`_related_match`)."""
    spellings = term_spellings(term)
    folded = spellings[0]
    others = Q(key__startswith=folded)
    # isdecimal, not isdigit: "²" or "①" are digits that int() refuses (that was a 500).
    if folded.isdecimal() and int(folded) <= MAX_ID:
        others |= Q(id=int(folded)) | Q(customer_id=int(folded))
    related = (
        ("billing_country_id", Country.objects.filter(_contains_any("search_text", spellings))),
        ("billing_state_id", State.objects.filter(_contains_any("search_text", spellings))),
        ("billing_city_id", City.objects.filter(_contains_any("search_text", spellings))),
    )
    prefix = to_ascii_digits(term).upper()
    if prefix.isascii() and prefix.replace("-", "").replace("_", "").isalnum():
        # SPEC §12: a coupon code by prefix (codes are stored upper-case, digits Latin).
        related += (("coupon_id", Coupon.objects.filter(code__startswith=prefix)),)
    for column, matches in related:
        match = _related_match(column, matches)
        if match is not None:
            others |= match
    if len(term) <= MAX_TRACKING_NUMBER:
        tracked = tracking_number_q(term)  # SPEC §14: a shipment's tracking number, exactly
        if tracked is not None:
            others |= tracked
    customer_text = Customer.objects.filter(_contains_any("search_text", spellings))
    if postings and selectors.postings_answer(spellings):
        in_deleted = None
        if deleted:
            own = _contains_any("search_text", spellings)
            in_deleted = Q(status=Status.DELETED) & (
                own | Q(customer_id__in=customer_text.values("pk"))
            )
        parts = SearchParts(
            spellings=spellings,
            customers=None,
            others=others,
            by_postings=True,
            deleted=in_deleted,
        )
        read = selectors.order_term_matches(parts, page=None if deleted else page)
        joined = selectors.matches_read_by_id(read.count, read.orders, window)
        return replace(parts, matches=read.count, joined=joined, page=read.page)
    customers = _related_match("customer_id", customer_text)
    return SearchParts(spellings=spellings, customers=customers, others=others)


def order_search_q(term: str) -> Q:
    """The orders one search term matches (`order_search_parts`), as one condition."""
    return order_search_parts(term).q


# --- patterns of the text filters (SPEC §2: the schema says what the server takes) -------------

_WS = f"[{WHITESPACE_CLASS}]*"
_NOT_WS = rf"[^{WHITESPACE_CLASS}\x00]"


def trimmed_text_pattern(max_length: int) -> str:
    """What a Django CharField(max_length) filter takes: it trims the value (Python's
    whitespace), refuses a NUL character and counts the length once trimmed; a blank value is
    not filtering."""
    return rf"^{_WS}(?:{_NOT_WS}(?:[^\x00]{{0,{max_length - 2}}}{_NOT_WS})?{_WS})?$"


MAX_TRACKING_NUMBER = 100


@extend_schema_field(
    {
        "type": "string",
        # Not `maxLength`: the limit holds once the value is trimmed (see trimmed_text_pattern).
        "pattern": trimmed_text_pattern(MAX_TRACKING_NUMBER),
        "description": f"A shipment's tracking number, any case: at most {MAX_TRACKING_NUMBER} "
        "characters once spaces around it are trimmed. Empty means not filtering.",
    }
)
class TrackingNumberFilter(django_filters.Filter):
    """`tracking_number=RR123456789IR`: orders with a shipment of that tracking number (any
    case, digits in any script)."""

    field_class = forms.CharField

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, max_length=MAX_TRACKING_NUMBER, **kwargs)

    def filter(self, qs: QuerySet, value: str | None) -> QuerySet:
        if not value or not value.strip():
            return qs
        match = tracking_number_q(value)
        return qs.filter(match) if match is not None else qs.none()


@extend_schema_field(OpenApiTypes.BOOL)
class HasRefundFilter(django_filters.Filter):
    """`has_refund=true`: orders with any refund (refunds are at least 1, so amount_refunded > 0;
    a partial index holds those orders)."""

    field_class = StrictBooleanField

    def filter(self, qs: QuerySet, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        refunded = Q(amount_refunded__gt=0)
        return qs.filter(refunded) if value else qs.exclude(refunded)


@extend_schema_field(OpenApiTypes.BOOL)
class IsRefundedFilter(django_filters.Filter):
    """`is_refunded=true`: amount_refunded = amount_paid > 0 (SPEC §14)."""

    field_class = StrictBooleanField

    def filter(self, qs: QuerySet, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        refunded = Q(amount_refunded__gt=0, amount_paid=F("amount_refunded"))
        return qs.filter(refunded) if value else qs.exclude(refunded)


# --- SPEC §12 filters ----------------------------------------------------------------------------


# What CouponCodeField takes: a code as rules.normalize_code reads it (Latin letters in either
# case, digits in any of the three sets, `-`, `_`), padded with whitespace or not; blank means
# not filtering.
COUPON_CODE_FILTER_PATTERN = (
    rf"^{_WS}(?:[A-Za-z0-9_\u06f0-\u06f9\u0660-\u0669-]{{{CODE_MIN},{CODE_MAX}}}{_WS})?$"
)


class CouponCodeField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if value in (None, ""):
            return None
        try:
            return normalize_code(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


@extend_schema_field(
    {
        "type": "string",
        "pattern": COUPON_CODE_FILTER_PATTERN,
        "description": "A coupon code, ignoring case (Persian and Arabic-Indic digits are read "
        "as Latin): 3–32 Latin letters, digits, '-' or '_'. Empty means not filtering.",
        "example": "NOROOZ1405",
    }
)
class CouponCodeFilter(django_filters.Filter):
    """`coupon_code=norooz1405`: orders holding the coupon with that code, matched as codes are
    (ignoring case, digits normalised). The coupon is looked up first, so the orders are read by
    the (coupon, created_at) index."""

    field_class = CouponCodeField

    def filter(self, qs: QuerySet, value: str | None) -> QuerySet:
        if value is None:
            return qs
        coupon_id = Coupon.objects.filter(code=value).values_list("pk", flat=True).first()
        return qs.filter(coupon_id=coupon_id) if coupon_id is not None else qs.none()


@extend_schema_field(OpenApiTypes.BOOL)
class IsPaidFilter(django_filters.Filter):
    """`is_paid=true`: total > 0 and amount_paid ≥ total, as the order shape says (SPEC §5)."""

    field_class = StrictBooleanField

    def filter(self, qs: QuerySet, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        paid = Q(total__gt=0, amount_paid__gte=F("total"))
        return qs.filter(paid) if value else qs.exclude(paid)


TAG_MAX = 50
TAG_PATTERN = trimmed_text_pattern(TAG_MAX)
# One label of `tag_in`: no comma (it separates them), not blank, no NUL; any length.
TAG_ITEM_PATTERN = rf"^[^,\x00]*[^,{WHITESPACE_CLASS}\x00][^,\x00]*$"


class TagField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        super().__init__(strip=True, max_length=TAG_MAX, **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "pattern": TAG_PATTERN,
        "description": f"A label, case-sensitive; at most {TAG_MAX} characters once spaces "
        "around it are trimmed. Empty means not filtering.",
    }
)
class TagFilter(django_filters.Filter):
    """`tag=gift`: orders with that label (case-sensitive, as labels are)."""

    field_class = TagField

    def filter(self, qs: QuerySet, value: str | None) -> QuerySet:
        return qs.filter(tags__has_tag=value) if value else qs


@extend_schema_field(
    {
        "type": "string",
        "pattern": TAG_ITEM_PATTERN,
        "description": "Comma-separated labels, case-sensitive; none may be blank.",
    }
)
class TagInFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    """`tag_in=gift,urgent`: orders with any of the labels."""

    base_field_class = StrictCSVField

    def filter(self, qs: QuerySet, value) -> QuerySet:
        labels = [label.strip() for label in value or [] if label.strip()]
        return qs.filter(tags__has_any_tag=labels) if labels else qs


class OrderFilterSet(FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices)
    status_in = ChoiceInFilter(field_name="status", choices=Status.choices)

    payment_method = IdFilter(field_name="payment_method_id")
    payment_method_in = IdInFilter(field_name="payment_method_id")
    shipping_method = IdFilter(field_name="shipping_method_id")
    shipping_method_in = IdInFilter(field_name="shipping_method_id")
    billing_country = IdFilter(field_name="billing_country_id")
    billing_state = IdFilter(field_name="billing_state_id")
    billing_city = IdFilter(field_name="billing_city_id")
    billing_country_in = IdInFilter(field_name="billing_country_id")
    billing_state_in = IdInFilter(field_name="billing_state_id")
    billing_city_in = IdInFilter(field_name="billing_city_id")
    customer = IdFilter(field_name="customer_id")
    customer_in = IdInFilter(field_name="customer_id")

    shipping_cost_min = IntegerBoundFilter(field_name="shipping_cost", lookup_expr="gte")
    shipping_cost_max = IntegerBoundFilter(field_name="shipping_cost", lookup_expr="lte")
    id_min = IntegerBoundFilter(field_name="id", lookup_expr="gte")
    id_max = IntegerBoundFilter(field_name="id", lookup_expr="lte")

    has_notes = HasValueFilter(field_name="notes", text=True)
    has_customer = HasValueFilter(field_name="customer")
    has_payment_method = HasValueFilter(field_name="payment_method")
    has_shipping_method = HasValueFilter(field_name="shipping_method")
    has_billing_country = HasValueFilter(field_name="billing_country")
    has_billing_state = HasValueFilter(field_name="billing_state")
    has_billing_city = HasValueFilter(field_name="billing_city")
    has_billing_address = HasValueFilter(field_name="billing_address", text=True)
    has_billing_postal_code = HasValueFilter(field_name="billing_postal_code", text=True)
    has_billing_national_code = HasValueFilter(field_name="billing_national_code", text=True)
    has_billing_mobile_number = HasValueFilter(field_name="billing_mobile_number", text=True)
    has_billing_first_name = HasValueFilter(field_name="billing_first_name", text=True)
    has_billing_last_name = HasValueFilter(field_name="billing_last_name", text=True)

    # SPEC §11: the shipping twins of the billing filters, delivery and pickup.
    shipping_country = IdFilter(field_name="shipping_country_id")
    shipping_state = IdFilter(field_name="shipping_state_id")
    shipping_city = IdFilter(field_name="shipping_city_id")
    shipping_country_in = IdInFilter(field_name="shipping_country_id")
    shipping_state_in = IdInFilter(field_name="shipping_state_id")
    shipping_city_in = IdInFilter(field_name="shipping_city_id")
    delivery_method = django_filters.ChoiceFilter(choices=DeliveryMethod.choices)
    pickup_branch = IdFilter(field_name="pickup_branch_id")
    pickup_branch_in = IdInFilter(field_name="pickup_branch_id")
    has_shipping_address = HasValueFilter(field_name="shipping_address", text=True)
    has_billing_email = HasValueFilter(field_name="billing_email", text=True)
    has_pickup_branch = HasValueFilter(field_name="pickup_branch")

    # SPEC §12
    coupon = IdFilter(field_name="coupon_id")
    coupon_code = CouponCodeFilter()
    has_coupon = HasValueFilter(field_name="coupon")
    total_min = IntegerBoundFilter(field_name="total", lookup_expr="gte")
    total_max = IntegerBoundFilter(field_name="total", lookup_expr="lte")
    is_paid = IsPaidFilter()
    tag = TagFilter()
    tag_in = TagInFilter()

    # SPEC §14
    fulfilment_status = django_filters.ChoiceFilter(choices=FulfilmentStatus.choices)
    tracking_number = TrackingNumberFilter()
    has_refund = HasRefundFilter()
    is_refunded = IsRefundedFilter()

    created_date = DateInZoneFilter(field_name="created_at")
    updated_date = DateInZoneFilter(field_name="updated_at")
    created_from = MomentFilter(field_name="created_at")
    created_to = MomentFilter(field_name="created_at", upper=True)
    updated_from = MomentFilter(field_name="updated_at")
    updated_to = MomentFilter(field_name="updated_at", upper=True)

    class Meta:
        model = Order
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        """Deleted orders are left out unless `status` or `status_in` asks for them."""
        data = self.form.cleaned_data
        asked = {data.get("status")} | set(data.get("status_in") or [])
        if Status.DELETED not in asked:
            queryset = queryset.exclude(status=Status.DELETED)
        return super().filter_queryset(queryset)

    def statuses(self) -> set[str]:
        """The statuses the filtered orders can have, by `status` and `status_in` alone."""
        data = self.form.cleaned_data
        statuses = set(Status.values) - {Status.DELETED}
        if data.get("status"):
            statuses = {data["status"]}
        if data.get("status_in"):
            statuses = (statuses if data.get("status") else set(Status.values)) & set(
                data["status_in"]
            )
        return statuses
