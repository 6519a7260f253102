"""The staff admin for orders (SPEC §9): orders with their items and payments inline, under the
same rules as the API.

- Every save writes through the API's services (`order_create`/`order_update`, `item_*`,
  `payment_*`), in the admin's one transaction, with the staff user as the actor: the same row
  lock, the same totals, the same rules and the same order events as an API write.
- A refusal of a service (a status move, items locked on a completed order, payments locked, an
  approval beyond the total, a §12 rule...) rolls the whole save back and comes back as the form
  error of the field or inline row it is about (`OrderAdmin.changeform_view`).
- Search and filters mean what the API's `search` and filters mean (`order_search_q`).
- The list never counts a million rows per page (`EstimatedCountPaginator`).
"""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as APIValidationError

from bazaar.accounts.validators import (
    normalize_mobile,
    normalize_national_code,
    normalize_postal_code,
)
from bazaar.admin_dates import JalaliDateFieldListFilter, date_column, date_text
from bazaar.admin_forms import label_from_model
from bazaar.api.errors import PreconditionFailed
from bazaar.api.limits import MAX_MONEY, MAX_NOTES, MAX_PAYMENT, MAX_QUANTITY
from bazaar.api.text import search_terms
from bazaar.catalog.models import ProductOptionValue
from bazaar.coupons.rules import normalize_code
from bazaar.orders import pricing, rules
from bazaar.orders.event_shapes import MAX_NOTE
from bazaar.orders.filters import order_search_q
from bazaar.orders.models import (
    DeliveryMethod,
    EventType,
    Order,
    OrderEvent,
    OrderItem,
    OrderPayment,
    OrderSource,
)
from bazaar.orders.serializers.inputs import SHIPPING_ADDRESS_FIELDS, TEXT_FIELDS
from bazaar.orders.services import (
    MONEY_INPUTS,
    item_add,
    item_delete,
    item_update,
    order_create,
    order_note_add,
    order_soft_delete,
    order_update,
    payment_add,
    payment_delete,
    payment_update,
)
from bazaar.orders.status import (
    ITEMS_LOCKED,
    Status,
    StatusError,
    allowed_next,
)
from bazaar.orders.tags import MAX_TAG_LENGTH, MAX_TAGS, clean_tags
from bazaar.orders.versions import check_if_match, order_etag

# --- the list ------------------------------------------------------------------------------------


class EstimatedCountPaginator(Paginator):
    """A paginator that doesn't COUNT(*) a million rows on every page load.

    On PostgreSQL it asks the planner how many rows the list's query returns (EXPLAIN: about a
    millisecond, from the table statistics) and counts exactly only when that estimate is small,
    where counting is cheap and an exact figure matters. So a big list shows an estimate ("about a
    million orders"), a filtered list of a few thousand its exact count. SQLite has no row
    estimate; it counts (its databases here are development-sized).
    """

    exact_up_to = 50_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor == "postgresql":
            estimate = planner_row_estimate(queryset)
            if estimate > self.exact_up_to:
                return estimate
        return queryset.count()


def planner_row_estimate(queryset: QuerySet) -> int:
    """PostgreSQL's estimate of the number of rows `queryset` returns."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def has_value_filter(field: str, title: str, *, text: bool = False) -> type[admin.SimpleListFilter]:
    """A yes/no filter with the API's name and meaning: `?has_customer=true` in both places; for
    text "has" means not null and not empty (SPEC §5)."""

    class HasValue(admin.SimpleListFilter):
        parameter_name = f"has_{field}"

        def lookups(self, request, model_admin):
            return [("true", _("Yes")), ("false", _("No"))]

        def queryset(self, request, queryset):
            present = Q(**{f"{field}__isnull": False})
            if text:
                present &= ~Q(**{field: ""})
            if self.value() == "true":
                return queryset.filter(present)
            if self.value() == "false":
                return queryset.exclude(present)
            return queryset

    HasValue.title = title
    HasValue.__name__ = f"Has{field.title().replace('_', '')}Filter"
    return HasValue


class StatusFilter(admin.SimpleListFilter):
    """The status filter, hiding deleted orders unless asked for them, as the API's list does
    (SPEC §5); a deleted order's page stays reachable by its URL. `status__exact` is the name
    Django's own status filter used, so existing links keep working."""

    title = _("status")
    parameter_name = "status__exact"
    everything = "all"

    def lookups(self, request, model_admin):
        return [*Status.choices, (self.everything, _("All, deleted included"))]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("All but deleted"),
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset.exclude(status=Status.DELETED)
        if value == self.everything:
            return queryset
        return queryset.filter(status=value)


def money(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


# --- the order form ------------------------------------------------------------------------------


def _normalized(normalizer, value: str | None) -> str | None:
    return normalizer(value) if value else None


class OrderAdminForm(forms.ModelForm):
    # Wider than the stored 10-11 characters: staff may paste "+98 912 345 6789" or Persian
    # digits; the value is normalised as the API does (SPEC §8).
    billing_mobile_number = forms.CharField(required=False, max_length=40, empty_value=None)
    billing_postal_code = forms.CharField(required=False, max_length=40, empty_value=None)
    billing_national_code = forms.CharField(required=False, max_length=40, empty_value=None)
    shipping_mobile_number = forms.CharField(required=False, max_length=40, empty_value=None)
    shipping_postal_code = forms.CharField(required=False, max_length=40, empty_value=None)
    shipping_latitude = forms.DecimalField(
        required=False, min_value=-90, max_value=90, max_digits=8, decimal_places=6
    )
    shipping_longitude = forms.DecimalField(
        required=False, min_value=-180, max_value=180, max_digits=9, decimal_places=6
    )
    shipping_cost = forms.IntegerField(min_value=0, max_value=MAX_MONEY)
    notes = forms.CharField(
        required=False,
        max_length=MAX_NOTES,
        empty_value=None,
        widget=forms.Textarea,
    )
    # SPEC §12, under the API's rules (coupons.rules, orders.pricing, orders.tags). The coupon,
    # the discount and the tax are applied by the API's service after the items are saved
    # (OrderAdmin.save_related); OrderItemFormSet checks them against the goods those make.
    coupon_code = forms.CharField(
        label=_("coupon code"),
        required=False,
        max_length=64,
        empty_value=None,
        help_text=_("Empty removes the coupon. The order keeps the terms it had when applied."),
    )
    order_discount = forms.IntegerField(
        label=_("order discount"),
        min_value=0,
        max_value=MAX_MONEY,
        initial=0,
        help_text=_("A staff discount on the whole order; at most the goods after the coupon."),
    )
    tax_rate = forms.CharField(
        label=_("tax rate (%)"),
        max_length=40,
        initial="0.00",
        help_text=_("0–100, at most two decimals. Shipping is not taxed."),
    )
    tags = forms.CharField(
        label=_("tags"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        # Formatted when shown, not at import: `%` on a lazy string would fix the language now.
        help_text=lazy(
            lambda: (
                _("One label per line (at most %(count)d, each 1–%(length)d characters).")
                % {"count": MAX_TAGS, "length": MAX_TAG_LENGTH}
            ),
            str,
        )(),
    )

    # SPEC §13: a staff note on the order's timeline, recorded through services.order_note_add
    # with the save (never an edit of the order itself: its version stays).
    staff_note = forms.CharField(
        label=_("add a note"),
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Added to the history above, with your name and the time."),
    )

    # The version the page was read at (SPEC §13's If-Match, for the admin): a save over a newer
    # version is refused instead of overwriting another's change with this page's old values.
    seen_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        label_from_model(self)
        if self.instance.pk is not None:
            self.initial["seen_version"] = self.instance.version
            self.initial["tags"] = "\n".join(self.instance.tags or [])
            self.initial["tax_rate"] = pricing.tax_rate_text(self.instance.tax_rate)
        if self.instance.pk is not None and "status" in self.fields:
            names = [str(Status(status).label) for status in allowed_next(self.instance.status)]
            self.fields["status"].help_text = _("Allowed next: %(statuses)s.") % {
                "statuses": pgettext("list separator", ", ").join(names) or "—"
            }

    def clean_billing_mobile_number(self) -> str | None:
        return _normalized(normalize_mobile, self.cleaned_data["billing_mobile_number"])

    def clean_billing_postal_code(self) -> str | None:
        return _normalized(normalize_postal_code, self.cleaned_data["billing_postal_code"])

    def clean_billing_national_code(self) -> str | None:
        return _normalized(normalize_national_code, self.cleaned_data["billing_national_code"])

    def clean_shipping_mobile_number(self) -> str | None:
        return _normalized(normalize_mobile, self.cleaned_data["shipping_mobile_number"])

    def clean_shipping_postal_code(self) -> str | None:
        return _normalized(normalize_postal_code, self.cleaned_data["shipping_postal_code"])

    def clean_coupon_code(self) -> str | None:
        code = self.cleaned_data["coupon_code"]
        try:
            return normalize_code(code, field="coupon_code") if code else None
        except pricing.RuleError as exc:
            raise ValidationError(exc.message) from None

    def clean_tax_rate(self):
        try:
            return pricing.parse_tax_rate(self.cleaned_data["tax_rate"])
        except pricing.RuleError as exc:
            raise ValidationError(exc.message) from None

    def clean_tags(self) -> list[str]:
        text = self.cleaned_data["tags"] or ""
        try:
            return clean_tags([line for line in text.splitlines() if line.strip()])
        except pricing.RuleError as exc:
            raise ValidationError(exc.message) from None

    def clean_extra(self) -> dict:
        extra = self.cleaned_data.get("extra")
        if extra is None:
            return {}
        if not isinstance(extra, dict):
            raise ValidationError(_("`extra` must be a JSON object."))
        return extra

    def clean(self) -> dict[str, Any]:
        """The API's cross-field rules (SPEC §5, §11), with its messages."""
        data = super().clean()
        checks = [
            partial(rules.check_active, name, data.get(name))
            for name in ("payment_method", "shipping_method", "pickup_branch")
            if name in self.changed_data  # an inactive method kept from before stays
        ]
        errors = rules.collect(checks)
        # The form sends every field: only the shipping address fields staff changed are theirs.
        for field, found in rules.place_and_delivery_errors(
            data.get,
            branch_given=True,
            address_given=[name for name in SHIPPING_ADDRESS_FIELDS if name in self.changed_data],
        ).items():
            errors.setdefault(field, []).extend(found)
        for field, found in errors.items():
            self.add_error(field, found)
        if data.get("delivery_method") == DeliveryMethod.PICKUP:
            for name in SHIPPING_ADDRESS_FIELDS:
                data[name] = None
        for name in TEXT_FIELDS:
            if data.get(name) == "":
                data[name] = None  # "absent values are null", as in the API
        add_refusal_errors(self, getattr(self, "refusal", None), ORDER_TARGET)
        return data


# --- refusals of the services, shown as form errors ---------------------------------------------

ORDER_TARGET = "order"


@dataclass(frozen=True)
class Refusal:
    """A service's refusal of an admin save: its messages by form field (None: the form's own),
    and whose form they belong to: the order's, or row `index` of the items' or payments'
    inline."""

    target: str
    index: int | None
    messages: dict[str | None, list[str]]


class AdminWriteRefused(Exception):
    """Raised out of the admin's save transaction, so that everything the save wrote before the
    refusal is rolled back with it (OrderAdmin.changeform_view)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal)
        self.refusal = refusal


def _flat(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [message for value in detail.values() for message in _flat(value)]
    if isinstance(detail, list):
        return [message for value in detail for message in _flat(value)]
    return [str(detail)]


def refusal_messages(exc: Exception) -> dict[str | None, list[str]]:
    """A service's refusal (a DRF ValidationError or Conflict, a rule's error) as messages by
    form field, None for those that are not one field's."""
    if isinstance(exc, pricing.RuleError):
        return {exc.field: [exc.message]}
    if isinstance(exc, StatusError):
        return {"status": [str(exc)]}
    detail = exc.detail if isinstance(exc, APIException) else [str(exc)]
    if isinstance(detail, dict):
        return {
            (None if field == "non_field_errors" else field): _flat(value)
            for field, value in detail.items()
        }
    return {None: _flat(detail)}


REFUSALS = (APIException, pricing.RuleError, StatusError)


@contextmanager
def refused_as(target: str, index: int | None = None) -> Iterator[None]:
    try:
        yield
    except REFUSALS as exc:
        raise AdminWriteRefused(Refusal(target, index, refusal_messages(exc))) from exc


def add_refusal_errors(form_or_formset: Any, refusal: Refusal | None, target: str) -> None:
    """Put a refusal of the previous attempt at this same POST on the form (or inline row) it
    is about: a field's message on that field, the others where the admin lists form errors."""
    if refusal is None or refusal.target != target:
        return
    if target == ORDER_TARGET:
        form = form_or_formset
        for field, found in refusal.messages.items():
            form.add_error(field if field in form.fields else None, found)
        return
    formset = form_or_formset
    row = None
    if refusal.index is not None and refusal.index < len(formset.forms):
        row = formset.forms[refusal.index]
        if formset._should_delete_form(row):
            row = None  # a deleted row's own errors are not shown
    loose: list[str] = []
    for field, found in refusal.messages.items():
        if row is not None and field in row.fields:
            row.add_error(field, found)
        else:
            loose.extend(found)
    if loose:
        raise ValidationError(loose)


# --- inlines -------------------------------------------------------------------------------------


# --- the form's data, as the services take it -----------------------------------------------------


def order_form_data(form: OrderAdminForm) -> dict[str, Any]:
    """Every order field of the form, not only the changed ones: clean() may have cleared some
    (a pickup order's shipping address) that the user never touched. A write that changes
    nothing records nothing (services.order_update)."""
    concrete = {f.name for f in Order._meta.concrete_fields}
    return {
        name: value
        for name, value in form.cleaned_data.items()
        if name in concrete or name in MONEY_INPUTS
    }


def item_form_data(row: forms.ModelForm, *, new: bool = True) -> dict[str, Any]:
    data = row.cleaned_data
    fields = {
        "unit_price": data["unit_price"],
        "unit_discount": data["unit_discount"],
        "quantity": data["quantity"],
        "notes": data.get("notes") or "",
    }
    if new:  # the product and its options are chosen once, when the item is made (SPEC §6)
        fields.update(product=data["product"], options=row.chosen_options)
    return fields


def payment_form_data(row: forms.ModelForm) -> dict[str, Any]:
    data = row.cleaned_data
    return {
        "payment_method": data.get("payment_method"),
        "amount": data["amount"],
        "approved": bool(data.get("approved")),
        "transaction_id": data.get("transaction_id") or "",
        "notes": data.get("notes") or "",
    }


def _is_new_row(formset: BaseInlineFormSet, row: forms.ModelForm) -> bool:
    return row.instance.pk is None and row.has_changed() and not formset._should_delete_form(row)


def write_rows(
    formset: BaseInlineFormSet,
    *,
    add: Callable[[forms.ModelForm], Any],
    update: Callable[[int, forms.ModelForm], Any],
    delete: Callable[[int], Any],
) -> None:
    """Write an inline's rows through the services, each refusal pinned to its row: the removed
    and changed rows first, then the new ones (as a formset saves them, so a removal makes room
    first). Sets what the admin's change message reads (new/changed/deleted_objects)."""
    target = formset.target
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for index, row in enumerate(formset.forms):
        pk = row.instance.pk
        if pk is None:
            continue
        if formset._should_delete_form(row):
            with refused_as(target, index):
                delete(pk)
            formset.deleted_objects.append(row.instance)
        elif row.has_changed():
            with refused_as(target, index):
                saved = update(pk, row)
            formset.changed_objects.append((saved, row.changed_data))
    for index, row in enumerate(formset.forms):
        if _is_new_row(formset, row):
            with refused_as(target, index):
                formset.new_objects.append(add(row))


def chosen_options_text(item: OrderItem) -> str:
    """An item's chosen options by name, "رنگ: مشکی، اندازه: بزرگ", from its snapshot (the
    names as they were when it was ordered); bare ids only if the snapshot lacks them."""
    named = (item.product_data or {}).get("options") or []
    if named:
        return pgettext("list separator", ", ").join(
            f"{option['group']}: {option['value']}" for option in named
        )
    return ", ".join(map(str, item.options or []))


class ChosenOptionsWidget(forms.TextInput):
    """The ids box for a new item; a read-only item shows its options' names as text."""

    def render(self, name, value, attrs=None, renderer=None):
        if (attrs or {}).get("disabled") or self.attrs.get("disabled"):
            return format_html('<span class="chosen-options" dir="auto">{}</span>', value or "—")
        return super().render(name, value, attrs, renderer)


class OrderItemForm(forms.ModelForm):
    unit_price = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_MONEY,
        help_text=_("Empty: the product's current price."),
    )
    unit_discount = forms.IntegerField(min_value=0, max_value=MAX_MONEY, initial=0)
    quantity = forms.IntegerField(min_value=1, max_value=MAX_QUANTITY, initial=1)
    option_values = forms.CharField(
        label=_("Options"),
        required=False,
        help_text=_("Ids of the chosen option values, comma-separated (new items only)."),
        widget=ChosenOptionsWidget(attrs={"size": 8}),
    )

    class Meta:
        widgets = {"notes": forms.Textarea(attrs={"rows": 2, "cols": 16})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        label_from_model(self)
        self.chosen_options: list[ProductOptionValue] = []
        if self.instance.pk is not None:
            # As in the API: an item's product can't change; delete the item and add another.
            # Its options are part of its snapshot, shown beside it.
            self.fields["product"].disabled = True
            self.fields["option_values"].disabled = True
            self.initial["option_values"] = chosen_options_text(self.instance)

    def clean_option_values(self) -> list[int]:
        if self.instance.pk is not None:  # shown by name, never edited
            return list(self.instance.options or [])
        text = self.cleaned_data["option_values"] or ""
        parts = [part.strip() for part in str(text).split(",") if part.strip()]
        # isdecimal, not isdigit: "²" is a digit that int() refuses (that was a 500); and an id
        # has at most 18 digits, so a 30-digit one cannot overflow the database's integer.
        if not all(part.isdecimal() and len(part) <= 18 for part in parts):
            raise ValidationError(_("Option value ids are whole numbers, e.g. 12, 15."))
        return [int(part) for part in parts]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        product = data.get("product")
        quantity = data.get("quantity")
        if product is None or quantity is None:
            return data
        if self.instance.pk is None:
            try:  # reported with the options' refusals, if any
                rules.check_product_active(product)
            except rules.OrderRuleError as exc:
                self.add_error(exc.field, exc.messages)
        try:  # the API's item rules (orders.rules), with its messages
            if self.instance.pk is None:
                self.chosen_options = rules.resolve_options(
                    product, data.get("option_values") or []
                )
            price = data.get("unit_price")
            if price is None:  # as in the API: the catalog price with the chosen options' deltas
                price = data["unit_price"] = rules.catalog_unit_price(product, self.chosen_options)
            rules.check_unit_discount(data.get("unit_discount") or 0, price)
            rules.check_line_amount(price, quantity)
        except rules.OrderRuleError as exc:
            self.add_error("option_values" if exc.field == "options" else exc.field, exc.messages)
        return data


class RefusalFormSet(BaseInlineFormSet):
    """An inline whose rows are written by the services (OrderAdmin.save_related); a refusal of
    theirs comes back as this formset's errors when the page is shown again."""

    refusal: "Refusal | None" = None
    target = ""

    def clean(self) -> None:
        super().clean()
        add_refusal_errors(self, self.refusal, self.target)


class OrderItemFormSet(RefusalFormSet):
    target = "items"


class OrderPaymentForm(forms.ModelForm):
    amount = forms.IntegerField(min_value=1, max_value=MAX_PAYMENT)

    class Meta:
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 2, "cols": 16}),
            "transaction_id": forms.TextInput(attrs={"size": 14}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        label_from_model(self)


class OrderPaymentFormSet(RefusalFormSet):
    target = "payments"


class RefusalInlineMixin:
    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.refusal = getattr(request, "_order_refusal", None)  # a class made for this call
        return formset


class CompactInlineMixin:
    """An inline row has no room for the add/change/delete/view icons beside its selects (they
    made each row wider than the window); the product and the method are picked, not edited,
    from an order."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        widget = getattr(formfield, "widget", None)
        if isinstance(widget, RelatedFieldWidgetWrapper):
            widget.can_add_related = widget.can_change_related = False
            widget.can_delete_related = widget.can_view_related = False
        return formfield


class OrderItemInline(RefusalInlineMixin, CompactInlineMixin, admin.TabularInline):
    model = OrderItem
    form = OrderItemForm
    formset = OrderItemFormSet
    extra = 0
    autocomplete_fields = ("product",)
    fields = (
        "product",
        "option_values",
        "unit_price",
        "unit_discount",
        "quantity",
        "notes",
        "line_total",
        "snapshot",
    )
    readonly_fields = ("line_total", "snapshot")

    @admin.display(description=_("total"))
    def line_total(self, item: OrderItem) -> str:
        return money(item.total) if item.pk else "—"

    @admin.display(description=_("product when ordered"))
    def snapshot(self, item: OrderItem) -> str:
        data = item.product_data or {}
        if not data:
            return "—"
        return format_html(
            '<span title="{}">{} · {}</span>',
            data.get("title", ""),  # the whole title, where the cell cuts it short
            data.get("code", ""),
            data.get("title", ""),
        )


class OrderPaymentInline(RefusalInlineMixin, CompactInlineMixin, admin.TabularInline):
    model = OrderPayment
    form = OrderPaymentForm
    formset = OrderPaymentFormSet
    extra = 0
    fields = ("payment_method", "amount", "approved", "transaction_id", "notes", "created_at_local")
    readonly_fields = ("created_at_local",)

    created_at_local = date_column("created_at", _("created at"))


# --- the timeline (SPEC §13) ----------------------------------------------------------------------

# The models whose fields an event's `changes` name: the order's, an item's, a payment's.
CHANGE_MODELS = {"item": OrderItem, "payment": OrderPayment}


def field_value_text(name: str, model: type, value: Any) -> str:
    """A change's value as staff read it: a choice by its label, rows of an order by their ids."""
    if name in ("items", "payments") and isinstance(value, list):
        return value_text([f"#{pk}" for pk in value])
    try:
        choices = dict(model._meta.get_field(name).flatchoices)
    except FieldDoesNotExist:
        choices = {}
    if isinstance(value, str) and value in choices:
        return str(choices[value])
    return value_text(value)


def field_label(name: str, model: type) -> str:
    """A change's field by its verbose name in the admin's language ("billing state")."""
    special = {
        "items": _("items"),
        "payments": _("payments"),
        "coupon_discount": _("coupon discount"),
        "options": _("Options"),
    }
    if name in special:
        return str(special[name])
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # an API name with no field of its own
        return name


def value_text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, list):
        return pgettext("list separator", ", ").join(value_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def changes_html(event: OrderEvent) -> str:
    model = OrderItem if event.item_id else OrderPayment if event.payment_id else Order
    lines = [
        format_html(
            "<li><b>{}</b>: {} → {}</li>",
            field_label(name, model),
            field_value_text(name, model, old),
            field_value_text(name, model, new),
        )
        for name, (old, new) in (event.changes or {}).items()
    ]
    if event.note:
        lines.append(format_html('<li class="note" dir="auto">{}</li>', event.note))
    return format_html("<ul>{}</ul>", format_html_join("", "{}", ((line,) for line in lines)))


def event_subject(event: OrderEvent) -> str:
    if event.item_id:
        return _("item #%(id)s") % {"id": event.item_id}
    if event.payment_id:
        return _("payment #%(id)s") % {"id": event.payment_id}
    return ""


def timeline_html(events: Any) -> str:
    rows = [
        (
            date_text(event.at),
            EventType(event.type).label,
            event_subject(event),
            event.actor.username if event.actor_id else _("the system"),
            changes_html(event),
        )
        for event in events
    ]
    if not rows:
        return str(_("No changes recorded yet."))
    return format_html(
        '<table class="order-timeline"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>'
        "</tr></thead><tbody>{}</tbody></table>",
        _("when"),
        _("event"),
        _("by"),
        _("changes"),
        format_html_join(
            "",
            "<tr><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td></tr>",
            rows,
        ),
    )


# --- the order admin -----------------------------------------------------------------------------


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    form = OrderAdminForm
    inlines = [OrderItemInline, OrderPaymentInline]  # items first: payments check their total

    list_display = (
        "id",
        "key",
        "status",
        "customer_name",
        "total_amount",
        "paid_amount",
        "paid",
        "created_at_local",
    )
    list_display_links = ("id", "key")
    list_filter = (
        StatusFilter,
        "payment_method",
        "shipping_method",
        "billing_country",
        "billing_state",
        has_value_filter("customer", _("has customer")),
        has_value_filter("notes", _("has notes"), text=True),
        has_value_filter("billing_national_code", _("has national code"), text=True),
        has_value_filter("coupon", _("has coupon")),
        "source",
        ("created_at", JalaliDateFieldListFilter),
    )
    # The search box needs search_fields; what a term matches is get_search_results below.
    search_fields = ("key",)
    search_help_text = _(
        "Every word must match one of: order id or customer id (exact), key (prefix), customer "
        "name, e-mail, username or mobile, notes, billing names, mobile, country, state or city."
    )
    list_select_related = ("customer",)
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # per-choice counts would scan every order on each page
    paginator = EstimatedCountPaginator
    autocomplete_fields = ("customer",)
    actions = ["mark_deleted", "export_csv"]

    readonly_fields = (
        "key",
        "item_count",
        "item_quantity",
        "subtotal_amount",
        "discount_amount",
        "total_amount",
        "paid_amount",
        "outstanding_amount",
        "paid",
        "payable",
        "created_at_local",
        "updated_at_local",
        "source",
        "coupon_as_applied",
        "coupon_discount_amount",
        "tax_amount",
        "timeline",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("key", "seen_version"),
                    "status",
                    "source",
                    "customer",
                    "notes",
                    "extra",
                    "tags",
                )
            },
        ),
        (
            _("Coupon, discount and tax"),
            {
                "fields": (
                    ("coupon_code", "coupon_as_applied"),
                    ("order_discount", "tax_rate"),
                )
            },
        ),
        (
            _("Payment and shipping"),
            {"fields": ("payment_method", "shipping_method", "shipping_cost")},
        ),
        (
            _("Billing"),
            {
                "fields": (
                    ("billing_first_name", "billing_last_name"),
                    ("billing_mobile_number", "billing_national_code"),
                    ("billing_country", "billing_state", "billing_city"),
                    "billing_address",
                    "billing_postal_code",
                    "billing_email",
                )
            },
        ),
        (
            _("Delivery"),
            {
                "fields": (
                    ("delivery_method", "pickup_branch"),
                    ("shipping_first_name", "shipping_last_name", "shipping_mobile_number"),
                    ("shipping_country", "shipping_state", "shipping_city"),
                    "shipping_address",
                    ("shipping_postal_code", "shipping_latitude", "shipping_longitude"),
                )
            },
        ),
        (
            _("Totals"),
            {
                "fields": (
                    ("item_count", "item_quantity"),
                    ("subtotal_amount", "coupon_discount_amount", "discount_amount"),
                    ("tax_amount", "total_amount"),
                    ("paid_amount", "outstanding_amount"),
                    ("paid", "payable"),
                )
            },
        ),
        (_("Dates"), {"fields": ("created_at_local", "updated_at_local")}),
        (_("History"), {"fields": ("timeline", "staff_note")}),
    )

    class Media:
        css = {"all": ["orders/admin/order.css"]}

    # --- list columns and read-only totals (the model's computed fields, SPEC §5) ----------------

    created_at_local = date_column("created_at", _("created at"))
    updated_at_local = date_column("updated_at", _("updated at"))

    @admin.display(description=_("customer"), ordering="customer__last_name")
    def customer_name(self, order: Order) -> str:
        if order.customer is None:
            return "—"
        return order.customer.full_name or order.customer.username

    @admin.display(description=_("subtotal"))
    def subtotal_amount(self, order: Order) -> str:
        return money(order.subtotal)

    @admin.display(description=_("total discount"))
    def discount_amount(self, order: Order) -> str:
        return money(order.total_discount)

    @admin.display(description=_("total"), ordering="total")
    def total_amount(self, order: Order) -> str:
        return money(order.total)

    @admin.display(description=_("coupon discount"))
    def coupon_discount_amount(self, order: Order) -> str:
        return money(order.coupon_discount)

    @admin.display(description=_("tax"))
    def tax_amount(self, order: Order) -> str:
        return money(order.tax)

    @admin.display(description=_("coupon as applied"))
    def coupon_as_applied(self, order: Order) -> str:
        """The terms the order keeps (SPEC §12), which later edits of the coupon never change."""
        terms = order.coupon_terms
        if terms is None:
            return "—"
        value = f"{terms.value}%" if terms.kind == pricing.PERCENT else money(terms.value)
        parts = [f"{order.coupon_code}: {value}"]
        if terms.max_discount is not None:
            parts.append(_("at most %(amount)s") % {"amount": money(terms.max_discount)})
        if terms.min_subtotal:
            parts.append(_("goods from %(amount)s") % {"amount": money(terms.min_subtotal)})
        return ", ".join(str(part) for part in parts)

    @admin.display(description=_("timeline"))
    def timeline(self, order: Order) -> str:
        """The order's events (SPEC §13), oldest first, read-only: one query."""
        if order.pk is None:
            return "—"
        return timeline_html(OrderEvent.objects.filter(order_id=order.pk).select_related("actor"))

    @admin.display(description=_("amount paid"), ordering="amount_paid")
    def paid_amount(self, order: Order) -> str:
        return money(order.amount_paid)

    @admin.display(description=_("amount outstanding"))
    def outstanding_amount(self, order: Order) -> str:
        return money(order.amount_outstanding)

    @admin.display(description=_("paid"), boolean=True)
    def paid(self, order: Order) -> bool:
        return order.is_paid

    @admin.display(description=_("payable"), boolean=True)
    def payable(self, order: Order) -> bool:
        return order.is_payable

    # --- search: the API's `search` parameter ---------------------------------------------------

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        for term in search_terms(search_term, max_terms=10):  # as the API splits them
            queryset = queryset.filter(order_search_q(term))
        return queryset, False  # subqueries, no joins: no duplicate rows

    # --- writes -----------------------------------------------------------------------------------

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        # Orders are never hard-deleted (SPEC §5); "Mark as deleted" moves them through the rules.
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except AdminWriteRefused as refused:
            # The save's transaction is rolled back, every row it wrote with it. The same POST is
            # validated again, and the forms report the refusal where it belongs (the refusal
            # attributes of get_form/get_formset), so staff see the page with their input.
            request._order_refusal = refused.refusal
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.refusal = getattr(request, "_order_refusal", None)  # a class made for this call
        return form

    def save_model(self, request: HttpRequest, obj: Order, form: OrderAdminForm, change: bool):
        # Nothing here: the order is written in save_related, with its items and payments,
        # through the API's services (one write path: the same lock, totals and events).
        pass

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        by_model = {formset.model: formset for formset in formsets}
        items, payments = by_model[OrderItem], by_model[OrderPayment]
        who = {"actor": request.user, "request_id": getattr(request, "request_id", None)}
        data = order_form_data(form)
        if not change:
            self._create(form, items, payments, data, who)
            self._note(form, who)
            return
        order_id = form.instance.pk
        seen = form.cleaned_data.get("seen_version")
        if seen is not None:  # the first write compares it under the lock, as If-Match does
            with refused_as(ORDER_TARGET):
                locked = Order.objects.select_for_update().only("version").get(pk=order_id)
                try:
                    check_if_match(
                        order_id=order_id,
                        version=locked.version,
                        if_match=order_etag(order_id, seen),
                    )
                except PreconditionFailed:
                    raise APIValidationError(
                        _(
                            "Someone changed this order after you opened it. Reload the page to "
                            "see their change, then make yours again."
                        )
                    ) from None
        # A move into a status that locks the items is written first, so that item edits in the
        # same save are refused as the API refuses them after that move; otherwise the items
        # first, as the coupon's minimum and the discount's maximum are judged on their goods.
        locking = "status" in form.changed_data and data["status"] in ITEMS_LOCKED
        if locking:
            with refused_as(ORDER_TARGET):
                order_update(order_id=order_id, data=data, **who)
        write_rows(
            items,
            add=lambda row: item_add(order_id=order_id, data=item_form_data(row), **who),
            update=lambda pk, row: item_update(
                order_id=order_id, item_id=pk, data=item_form_data(row, new=False), **who
            ),
            delete=lambda pk: item_delete(order_id=order_id, item_id=pk, **who),
        )
        if not locking:
            with refused_as(ORDER_TARGET):
                order_update(order_id=order_id, data=data, **who)
        # Last: approvals are judged on the total the items and the order's money make.
        write_rows(
            payments,
            add=lambda row: payment_add(order_id=order_id, data=payment_form_data(row), **who),
            update=lambda pk, row: payment_update(
                order_id=order_id, payment_id=pk, data=payment_form_data(row), **who
            ),
            delete=lambda pk: payment_delete(order_id=order_id, payment_id=pk, **who),
        )
        self._note(form, who)

    def _note(self, form, who: dict[str, Any]) -> None:
        note = (form.cleaned_data.get("staff_note") or "").strip()
        if note:
            order_note_add(order_id=form.instance.pk, note=note, **who)

    def _create(self, form, items, payments, data: dict[str, Any], who: dict[str, Any]) -> None:
        """One call of the API's create: the order with its inline items and payments."""
        new_items = [(i, row) for i, row in enumerate(items.forms) if _is_new_row(items, row)]
        new_payments = [
            (i, row) for i, row in enumerate(payments.forms) if _is_new_row(payments, row)
        ]
        try:
            order = order_create(
                data={**data, "source": OrderSource.ADMIN},
                items=[item_form_data(row) for _, row in new_items] or None,
                payments=[payment_form_data(row) for _, row in new_payments] or None,
                **who,
            )
        except APIValidationError as exc:
            by_row = exc.detail.get("payments") if isinstance(exc.detail, dict) else None
            if isinstance(by_row, list):  # the inline payments' errors, by position
                position = next(i for i, errors in enumerate(by_row) if errors)
                messages = refusal_messages(APIValidationError(by_row[position]))
                raise AdminWriteRefused(
                    Refusal("payments", new_payments[position][0], messages)
                ) from exc
            raise AdminWriteRefused(Refusal(ORDER_TARGET, None, refusal_messages(exc))) from exc
        except REFUSALS as exc:
            raise AdminWriteRefused(Refusal(ORDER_TARGET, None, refusal_messages(exc))) from exc
        # The admin logs and redirects to the form's instance: make it the order just made.
        form.instance.__dict__.update(order.__dict__)
        items.new_objects, payments.new_objects = (
            list(order.items.all()),
            list(order.payments.all()),
        )
        for formset in (items, payments):
            formset.changed_objects, formset.deleted_objects = [], []

    @admin.action(description=_("Mark selected orders as deleted"), permissions=["change"])
    def mark_deleted(self, request: HttpRequest, queryset: QuerySet) -> None:
        done, refused = 0, []
        for order_id in queryset.values_list("pk", flat=True):
            try:
                order_soft_delete(
                    order_id=order_id,
                    actor=request.user,
                    request_id=getattr(request, "request_id", None),
                )
                done += 1
            except APIValidationError as exc:
                refused.append(f"#{order_id}: {exc.detail['status'][0]}")
        if done:
            message = ngettext(
                "%(count)d order marked as deleted.", "%(count)d orders marked as deleted.", done
            )
            self.message_user(request, message % {"count": done})
        for reason in refused:
            self.message_user(request, reason, messages.WARNING)

    # --- CSV export (SPEC §15): the selection, or with "select all" the filtered list ---------

    def has_export_permission(self, request: HttpRequest) -> bool:
        from bazaar.accounts.codes import PermissionCode
        from bazaar.accounts.permissions import user_has_code

        return user_has_code(request.user, PermissionCode.ORDERS_EXPORT)

    @admin.action(description=_("Export selected orders as CSV"), permissions=["export"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> StreamingHttpResponse:
        from bazaar.orders import export

        response = StreamingHttpResponse(
            export.export_chunks(
                export.ordered_by_id(queryset),
                request=request,
                batch_size=settings.EXPORT_BATCH_SIZE,
            ),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{export.export_filename()}"'
        return response
