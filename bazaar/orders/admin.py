"""The staff admin for orders (SPEC §9): orders with their items and payments inline, under the
same rules as the API.

- Status moves go through `bazaar.orders.status` and are refused with the API's message.
- Items can't change while the order is completed/refunded/deleted, payments while it is
  deleted, and approving payments beyond the total is refused: the API's §5-§7 rules, checked in
  the inline formsets so the admin shows them as form errors instead of failing on save.
- Every check reads the order under the row lock the API's services take (the admin runs a save
  in one transaction), and the stored totals are recomputed after the inlines are saved.
- Search and filters mean what the API's `search` and filters mean (`order_search_q`).
- The list never counts a million rows per page (`EstimatedCountPaginator`).
"""

import json
from functools import cached_property
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext
from rest_framework.exceptions import ValidationError as APIValidationError

from bazaar.accounts.validators import (
    normalize_mobile,
    normalize_national_code,
    normalize_postal_code,
)
from bazaar.admin_dates import JalaliDateFieldListFilter, date_column
from bazaar.admin_forms import label_from_model
from bazaar.api.errors import Conflict
from bazaar.api.fields import MAX_MONEY
from bazaar.api.text import search_terms
from bazaar.catalog.models import ProductOptionValue
from bazaar.coupons.rules import normalize_code
from bazaar.orders import pricing
from bazaar.orders.filters import order_search_q
from bazaar.orders.models import DeliveryMethod, Order, OrderItem, OrderPayment, OrderSource
from bazaar.orders.serializers import (
    MAX_NOTES,
    MAX_PAYMENT,
    MAX_QUANTITY,
    SHIPPING_ADDRESS_FIELDS,
    TEXT_FIELDS,
    resolve_options,
)
from bazaar.orders.services import (
    MAX_ORDER_AMOUNT,
    MONEY_INPUTS,
    order_money_apply,
    order_refresh_totals,
    order_soft_delete,
    order_update,
    product_image_snapshot,
    product_snapshot,
)
from bazaar.orders.status import (
    ITEMS_LOCKED,
    PAYMENTS_LOCKED,
    Status,
    StatusError,
    allowed_next,
    check_initial_status,
    check_transition,
)
from bazaar.orders.tags import MAX_TAG_LENGTH, MAX_TAGS, clean_tags

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


def _stored_order(order: Order) -> Order | None:
    """The order as the database has it, locked until the admin's transaction ends: the same
    row lock the API's writes take, so a check made here can't be raced past."""
    if order.pk is None:
        return None
    return Order.objects.select_for_update().get(pk=order.pk)


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        label_from_model(self)
        if self.instance.pk is not None:
            self.initial["tags"] = "\n".join(self.instance.tags or [])
            self.initial["tax_rate"] = pricing.tax_rate_text(self.instance.tax_rate)
        if self.instance.pk is not None and "status" in self.fields:
            names = [str(Status(status).label) for status in allowed_next(self.instance.status)]
            self.fields["status"].help_text = _("Allowed next: %(statuses)s.") % {
                "statuses": pgettext("list separator", ", ").join(names) or "—"
            }

    @cached_property
    def stored(self) -> Order | None:
        return _stored_order(self.instance)

    def clean_status(self) -> str:
        status = self.cleaned_data["status"]
        try:
            if self.stored is None:
                check_initial_status(status)
            else:
                check_transition(self.stored.status, status)
        except StatusError as exc:
            raise ValidationError(str(exc), code="status") from None  # the API's message
        return status

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
        for prefix in ("billing", "shipping"):
            country, state, city = (data.get(f"{prefix}_{n}") for n in ("country", "state", "city"))
            if state is not None and country is not None and state.country_id != country.pk:
                self.add_error(
                    f"{prefix}_state",
                    _("State %(state)s is not in country %(country)s.")
                    % {"state": state.pk, "country": country.pk},
                )
            if city is not None and state is not None and city.state_id != state.pk:
                self.add_error(
                    f"{prefix}_city",
                    _("City %(city)s is not in state %(state)s.")
                    % {"city": city.pk, "state": state.pk},
                )
        for name, message in (
            ("payment_method", _("Payment method %(id)s is inactive.")),
            ("shipping_method", _("Shipping method %(id)s is inactive.")),
            ("pickup_branch", _("Branch %(id)s is inactive.")),
        ):
            related = data.get(name)
            if related is not None and name in self.changed_data and not related.is_active:
                self.add_error(name, message % {"id": related.pk})
        if data.get("delivery_method") == DeliveryMethod.PICKUP:
            if data.get("pickup_branch") is None:
                self.add_error("pickup_branch", _("Required when delivery_method is pickup."))
            for name in SHIPPING_ADDRESS_FIELDS:
                if data.get(name) not in (None, "") and name in self.changed_data:
                    self.add_error(name, _("A pickup order takes no shipping address."))
                data[name] = None
        elif data.get("pickup_branch") is not None:
            self.add_error("pickup_branch", _("Only for delivery_method pickup."))
        for name in TEXT_FIELDS:
            if data.get(name) == "":
                data[name] = None  # "absent values are null", as in the API
        self.instance._admin_form = self  # the items' formset reports the §12 rules on fields
        return data


def _check_money(order: Order, stored: Order | None, *, subtotal: int, discount: int) -> int:
    """SPEC §12's rules for the coupon, discount and tax the admin form holds, judged on the
    goods the items inline will make, through the very function the API's writes call
    (services.order_money_apply) on a copy of the order, under the same locks. Returns the total
    the order will have; a refusal is a form error on the field the API would name."""
    form = getattr(order, "_admin_form", None)
    if form is None or any(name not in form.cleaned_data for name in MONEY_INPUTS):
        return subtotal - discount + (order.shipping_cost or 0)  # the form has its own errors
    probe = Order(
        **{
            f.attname: getattr(stored or order, f.attname)
            for f in Order._meta.concrete_fields
            if not f.generated  # search_text: the database's, unreadable on an unsaved order
        }
    )
    for name in ("status", "customer_id", "shipping_cost"):
        setattr(probe, name, getattr(order, name))
    if stored is None:  # a new order takes its coupon, discount and tax only through the service
        order_coupon_clear(probe)
    probe.items_subtotal, probe.items_discount = subtotal, discount
    try:
        order_money_apply(
            order=probe,
            data={name: form.cleaned_data[name] for name in MONEY_INPUTS},
            previous_status=stored.status if stored else None,
            previous_customer_id=stored.customer_id if stored else None,
        )
    except Conflict as exc:
        raise ValidationError(str(exc.detail)) from None
    except APIValidationError as exc:
        messages_by_field = {
            field: [str(message) for message in found] for field, found in exc.detail.items()
        }
        for field, found in messages_by_field.items():
            form.add_error(field if field in form.fields else None, found)
        raise ValidationError(
            [
                f"{field}: {message}"
                for field, found in messages_by_field.items()
                for message in found
            ]
        ) from None
    return probe.total


def order_coupon_clear(order: Order) -> None:
    order.coupon_id = order.coupon_code = order.coupon_kind = None
    order.coupon_value = order.coupon_max_discount = None
    order.coupon_min_subtotal = order.order_discount = 0


# --- inlines -------------------------------------------------------------------------------------


def _edited_forms(formset: BaseInlineFormSet) -> list[forms.ModelForm]:
    """Forms that add, change or delete a row (blank extra forms and untouched rows are not)."""
    return [f for f in formset.forms if f.has_changed() or formset._should_delete_form(f)]


def _kept_forms(formset: BaseInlineFormSet) -> list[forms.ModelForm]:
    """Forms for the rows the order will have after the save."""
    return [
        f
        for f in formset.forms
        if f.cleaned_data
        and not formset._should_delete_form(f)
        and (f.instance.pk is not None or f.has_changed())
    ]


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
            if not product.is_active:
                self.add_error("product", _("Product %(id)s is inactive.") % {"id": product.pk})
            try:
                self.chosen_options = resolve_options(product, data.get("option_values") or [])
            except APIValidationError as exc:
                self.add_error("option_values", [str(m) for m in exc.detail["options"]])
                return data
        price = data.get("unit_price")
        if price is None:  # as in the API: the catalog price with the chosen options' deltas
            price = product.price + sum(value.price_delta for value in self.chosen_options)
            data["unit_price"] = price
        if (data.get("unit_discount") or 0) > price:
            self.add_error(
                "unit_discount", _("Must not exceed unit_price (%(price)s).") % {"price": price}
            )
        if price * quantity > MAX_ORDER_AMOUNT:
            self.add_error(
                "quantity",
                _("unit_price × quantity must not exceed %(max)s.") % {"max": MAX_ORDER_AMOUNT},
            )
        return data


class OrderItemFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        order: Order = self.instance
        stored = _stored_order(order)
        if _edited_forms(self):
            for status in (stored.status if stored else None, order.status):
                if status in ITEMS_LOCKED:
                    raise ValidationError(
                        _(
                            "Items cannot be added, changed or removed while the order is "
                            "'%(status)s'."
                        )
                        % {"status": status}
                    )
        kept = [f.cleaned_data for f in _kept_forms(self)]
        items_total = sum((d["unit_price"] - d["unit_discount"]) * d["quantity"] for d in kept)
        items_subtotal = sum(d["unit_price"] * d["quantity"] for d in kept)
        if items_subtotal + (order.shipping_cost or 0) > MAX_ORDER_AMOUNT:
            raise ValidationError(
                _("An order's total must not exceed %(max)s.") % {"max": MAX_ORDER_AMOUNT}
            )
        # The payments inline, validated next, checks approvals against the total these items
        # will make, not the stored one.
        order._admin_items_total = items_total
        order._admin_total = _check_money(
            order, stored, subtotal=items_subtotal, discount=items_subtotal - items_total
        )


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


class OrderPaymentFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        order: Order = self.instance
        stored = _stored_order(order)
        if not _edited_forms(self):
            return  # like the API, a change elsewhere never fails on payments already approved
        for status in (stored.status if stored else None, order.status):
            if status in PAYMENTS_LOCKED:
                raise ValidationError(
                    _("Payments cannot be changed while the order is '%(status)s'.")
                    % {"status": status}
                )
        items_total = getattr(
            order, "_admin_items_total", order.items_subtotal - order.items_discount
        )
        total = getattr(order, "_admin_total", items_total + (order.shipping_cost or 0))
        kept = _kept_forms(self)
        approved = sum(f.cleaned_data["amount"] for f in kept if f.cleaned_data.get("approved"))
        approved_before = stored.amount_paid if stored else 0
        if approved > total and approved > approved_before:
            settled = sum(
                f.cleaned_data["amount"]
                for f in kept
                if f.cleaned_data.get("approved") and f.instance.pk and not f.has_changed()
            )
            raise ValidationError(
                _(
                    "Approved payments (%(approved)s) would take amount_paid above the order "
                    "total (%(total)s): the outstanding amount is %(outstanding)s."
                )
                % {"approved": approved, "total": total, "outstanding": max(total - settled, 0)}
            )


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


class OrderItemInline(CompactInlineMixin, admin.TabularInline):
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


class OrderPaymentInline(CompactInlineMixin, admin.TabularInline):
    model = OrderPayment
    form = OrderPaymentForm
    formset = OrderPaymentFormSet
    extra = 0
    fields = ("payment_method", "amount", "approved", "transaction_id", "notes", "created_at_local")
    readonly_fields = ("created_at_local",)

    created_at_local = date_column("created_at", _("created at"))


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
    )
    fieldsets = (
        (None, {"fields": ("key", "status", "source", "customer", "notes", "extra", "tags")}),
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

    def save_model(self, request: HttpRequest, obj: Order, form: OrderAdminForm, change: bool):
        if not change:
            # Made plain: its coupon, discount and tax are applied in save_related, through the
            # API's service, once its items exist (they are judged on the goods those make).
            obj.source = OrderSource.ADMIN
            order_coupon_clear(obj)
            obj.tax_rate = pricing.TAX_RATE_ZERO
            obj.save()
            return
        # A change is written in save_related, after the items and payments, in one call of the
        # API's write path (one place for future hooks such as order events).

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        if formset.model is not OrderItem:
            super().save_formset(request, form, formset, change)
            return
        items = formset.save(commit=False)
        for item in formset.deleted_objects:
            item.delete()
        chosen = {id(form.instance): form.chosen_options for form in formset.forms}
        for item in items:
            if item.pk is None:  # the snapshot is taken once, when the item is made (SPEC §6)
                options = chosen.get(id(item), [])
                item.options = [value.pk for value in options]
                item.product_data = product_snapshot(
                    item.product,
                    image=product_image_snapshot(item.product),
                    options=options,
                )
            item.save()
        formset.save_m2m()

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        order_refresh_totals(order=Order.objects.select_for_update().get(pk=form.instance.pk))
        # The form and its inlines already ran the same checks under the same locks
        # (_check_money), so this cannot refuse. Every field of the form is written, not only
        # the changed ones: clean() may have cleared some (a pickup order's shipping address)
        # that the user never touched.
        data = {name: form.cleaned_data[name] for name in MONEY_INPUTS}
        if change:
            editable = {f.name for f in Order._meta.concrete_fields} & set(form.cleaned_data)
            editable -= set(MONEY_INPUTS)
            data.update({name: getattr(form.instance, name) for name in editable})
        order_update(order_id=form.instance.pk, data=data)

    @admin.action(description=_("Mark selected orders as deleted"), permissions=["change"])
    def mark_deleted(self, request: HttpRequest, queryset: QuerySet) -> None:
        done, refused = 0, []
        for order_id in queryset.values_list("pk", flat=True):
            try:
                order_soft_delete(order_id=order_id)
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
