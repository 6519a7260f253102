"""The admin of shipments and refunds (SPEC §14).

The order page shows an order's shipments and refunds as read-only tables, each with a link to
make a new one; the shipment and refund pages write through `bazaar.fulfilment.services` with
the staff member as the actor, so the admin keeps every rule, lock and event of the API. The
tables are added to the order admin from here (`OrderAdmin.inlines`), so that the order admin's
own module needs no change.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models, transaction
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as APIValidationError

from bazaar.admin_dates import date_column
from bazaar.fulfilment import services
from bazaar.fulfilment.models import Refund, RefundItem, Shipment, ShipmentItem, ShipmentStatus
from bazaar.orders.admin import OrderAdmin

ITEMS_HELP = _(
    "One line per item: the item's id and the quantity, e.g. 12:2. Empty: every quantity not "
    "yet in a shipment (shipments) or no returned items (refunds)."
)


def parse_lines(text: str) -> list[dict[str, int]]:
    """`12:2` lines (commas or spaces also separate entries) as `[{item, quantity}]`."""
    lines = []
    for entry in text.replace(",", "\n").split():
        item, _sep, quantity = entry.partition(":")
        try:
            lines.append({"item": int(item), "quantity": int(quantity or "1")})
        except ValueError:
            raise forms.ValidationError(
                _("'%(entry)s' is not item:quantity."), params={"entry": entry}
            ) from None
        if lines[-1]["item"] < 1 or not 1 <= lines[-1]["quantity"] <= 100_000:
            raise forms.ValidationError(
                _("'%(entry)s' is not item:quantity."), params={"entry": entry}
            )
    return lines


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [text for value in detail.values() for text in _flatten(value)]
    if isinstance(detail, list):
        return [text for value in detail for text in _flatten(value)]
    return [str(detail)]


class ServiceForm(forms.ModelForm):
    """A form whose save is a service call, made once the form is otherwise valid (after the
    model's own checks, so that no error can be shown after the write). The service's refusal is
    shown on the form's fields, and nothing is written."""

    request: HttpRequest | None = None  # set by the ModelAdmin's get_form
    made: Any = None

    def call_service(self, actor) -> Any:
        raise NotImplementedError

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.errors:
            return
        try:
            with transaction.atomic():
                self.made = self.call_service(getattr(self.request, "user", None))
        except APIValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {None: exc.detail}
            for name, messages in detail.items():
                field = name if name in self.fields else None
                for message in _flatten(messages):
                    self.add_error(field, message)
        except APIException as exc:  # a 409 or 412: the state forbids it
            self.add_error(None, str(exc.detail))


class ServiceAdmin(admin.ModelAdmin):
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def save_model(self, request, obj, form: ServiceForm, change: bool) -> None:
        # Written by the form's service call; the admin only needs the row's id for its log.
        if form.made is not None:
            for field in obj._meta.concrete_fields:
                setattr(obj, field.attname, getattr(form.made, field.attname))

    def save_related(self, request, form, formsets, change: bool) -> None:
        pass

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyFormSet(BaseInlineFormSet):
    """A table that reads nothing from the order form's POST: its rows are never written there,
    so the order form posts (and validates) as it did before, whether or not the page sent this
    table's management form."""

    def __init__(self, data=None, files=None, *args: Any, **kwargs: Any) -> None:
        super().__init__(None, None, *args, **kwargs)
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []

    def is_valid(self) -> bool:
        return True

    def has_changed(self) -> bool:
        return False

    def save(self, commit: bool = True) -> list:
        return []


# --- shipments -----------------------------------------------------------------------------------


class ShipmentAddForm(ServiceForm):
    lines = forms.CharField(
        label=_("items"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=ITEMS_HELP,
    )

    class Meta:
        model = Shipment
        fields = ["order", "status", "shipping_method", "tracking_number", "tracking_url", "notes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (value, label)
            for value, label in ShipmentStatus.choices
            if value in services.CREATABLE_SHIPMENT
        ]
        self.fields["shipping_method"].help_text = _("Empty: the order's shipping method.")

    def clean_lines(self) -> list[dict[str, int]] | None:
        text = self.cleaned_data.get("lines") or ""
        return parse_lines(text) if text.strip() else None

    def call_service(self, actor) -> Shipment:
        data = self.cleaned_data
        body: dict[str, Any] = {
            "status": data["status"],
            "tracking_number": data.get("tracking_number") or None,
            "tracking_url": data.get("tracking_url") or None,
            "notes": data.get("notes") or "",
        }
        if data.get("shipping_method") is not None:
            body["shipping_method"] = data["shipping_method"]
        if data.get("lines") is not None:
            body["items"] = data["lines"]
        return services.shipment_create(order_id=data["order"].pk, data=body, actor=actor)


class ShipmentChangeForm(ServiceForm):
    class Meta:
        model = Shipment
        fields = ["status", "shipping_method", "tracking_number", "tracking_url", "notes"]

    def call_service(self, actor) -> Shipment:
        data = {name: self.cleaned_data[name] for name in self.changed_data}
        return services.shipment_update(
            order_id=self.instance.order_id, shipment_id=self.instance.pk, data=data, actor=actor
        )


class ShipmentLineInline(admin.TabularInline):
    formset = ReadOnlyFormSet
    model = ShipmentItem
    fields = ("item", "quantity")
    readonly_fields = ("item", "quantity")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Shipment)
class ShipmentAdmin(ServiceAdmin):
    list_display = (
        "id",
        "order",
        "status",
        "shipping_method",
        "tracking_number",
        "shipped",
        "delivered",
    )
    list_filter = ("status", "shipping_method")
    search_fields = ("tracking_number",)
    raw_id_fields = ("order",)
    list_select_related = ("shipping_method",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [ShipmentLineInline]

    shipped = date_column("shipped_at", _("shipped at"))
    delivered = date_column("delivered_at", _("delivered at"))

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = ShipmentChangeForm if obj is not None else ShipmentAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [
                "order",
                "status",
                "shipping_method",
                "tracking_number",
                "tracking_url",
                "notes",
                "lines",
            ]
        return [
            "order_link",
            "status",
            "shipping_method",
            "tracking_number",
            "tracking_url",
            "notes",
            "shipped",
            "delivered",
        ]

    def get_readonly_fields(self, request, obj=None):
        return ("order_link", "shipped", "delivered") if obj is not None else ()

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"order": request.GET.get("order")}

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj is not None else []

    @admin.display(description=_("order"))
    def order_link(self, shipment: Shipment) -> str:
        return _order_link(shipment.order_id)


# --- refunds -------------------------------------------------------------------------------------


class RefundAddForm(ServiceForm):
    amount = forms.IntegerField(
        label=_("amount"),
        required=False,
        min_value=1,
        max_value=10**15,
        help_text=_("Empty: the price paid for the returned items."),
    )
    lines = forms.CharField(
        label=_("returned items"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=ITEMS_HELP,
    )

    class Meta:
        model = Refund
        fields = ["order", "payment", "reason"]

    def clean_lines(self) -> list[dict[str, int]]:
        return parse_lines(self.cleaned_data.get("lines") or "")

    def call_service(self, actor) -> Refund:
        data = self.cleaned_data
        body: dict[str, Any] = {"payment": data["payment"].pk, "reason": data.get("reason") or ""}
        if data.get("amount") is not None:
            body["amount"] = data["amount"]
        if data.get("lines"):
            body["items"] = data["lines"]
        return services.refund_create(order_id=data["order"].pk, data=body, actor=actor)


class RefundLineInline(ShipmentLineInline):
    model = RefundItem


@admin.register(Refund)
class RefundAdmin(ServiceAdmin):
    """Refunds are made here and never edited or deleted (SPEC §14)."""

    form = RefundAddForm
    list_display = ("id", "order", "payment", "amount", "actor", "created")
    raw_id_fields = ("order", "payment")
    list_select_related = ("actor",)
    inlines = [RefundLineInline]
    fields = ("order", "payment", "amount", "reason", "lines")

    created = date_column("created_at", _("created at"))

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.fields
        return ("order_link", "payment", "amount", "reason", "actor", "created")

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"order": request.GET.get("order")}

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj is not None else []

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # viewed, never edited

    @admin.display(description=_("order"))
    def order_link(self, refund: Refund) -> str:
        return _order_link(refund.order_id)


def _order_link(order_id: int) -> str:
    url = reverse("admin:orders_order_change", args=[order_id])
    return format_html('<a href="{}">#{}</a>', url, order_id)


# --- on the order page ---------------------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    """Shown on the order page, never edited there: made and changed on their own pages,
    through the services (the order form's own save must not race them)."""

    formset = ReadOnlyFormSet
    template = "fulfilment/admin/inline_with_add.html"
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        model = self.model._meta
        formset.add_url = reverse(f"admin:{model.app_label}_{model.model_name}_add")
        return formset


class OrderShipmentInline(ReadOnlyInline):
    model = Shipment
    fields = ("status", "shipping_method", "tracking", "lines", "shipped", "delivered")
    readonly_fields = fields
    verbose_name_plural = _("shipments")

    shipped = date_column("shipped_at", _("shipped at"))
    delivered = date_column("delivered_at", _("delivered at"))

    @admin.display(description=_("tracking number"))
    def tracking(self, shipment: Shipment) -> str:
        if shipment.tracking_url:
            return format_html(
                '<a href="{}" rel="noreferrer">{}</a>',
                shipment.tracking_url,
                shipment.tracking_number or shipment.tracking_url,
            )
        return shipment.tracking_number or "—"

    @admin.display(description=_("items"))
    def lines(self, shipment: Shipment) -> str:
        return ", ".join(f"#{line.item_id} × {line.quantity}" for line in shipment.items.all())

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("shipping_method")
            .prefetch_related("items")
        )


class OrderRefundInline(ReadOnlyInline):
    model = Refund
    fields = ("payment", "amount", "reason", "lines", "actor", "created")
    readonly_fields = fields
    verbose_name_plural = _("refunds")

    created = date_column("created_at", _("created at"))

    @admin.display(description=_("returned items"))
    def lines(self, refund: Refund) -> str:
        return ", ".join(f"#{line.item_id} × {line.quantity}" for line in refund.items.all()) or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor").prefetch_related("items")


OrderAdmin.inlines = [*OrderAdmin.inlines, OrderShipmentInline, OrderRefundInline]
