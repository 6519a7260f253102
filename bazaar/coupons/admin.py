"""Coupons in the staff admin (SPEC §12), under the API's rules (bazaar.coupons.rules) and
writes (bazaar.coupons.services), with the orders that hold each coupon."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from bazaar.admin_forms import label_from_model
from bazaar.api.limits import MAX_MONEY
from bazaar.coupons import rules, services
from bazaar.coupons.models import Coupon
from bazaar.coupons.selectors import coupon_queryset
from bazaar.orders.models import Order
from bazaar.orders.pricing import RuleError

ORDERS_SHOWN = 20


class CouponAdminForm(forms.ModelForm):
    code = forms.CharField(max_length=64, help_text=_("3–32 Latin letters, digits, - or _."))
    value = forms.IntegerField(min_value=1, max_value=MAX_MONEY)
    max_discount = forms.IntegerField(required=False, min_value=0, max_value=MAX_MONEY)
    min_subtotal = forms.IntegerField(min_value=0, max_value=MAX_MONEY, initial=0)

    class Meta:
        model = Coupon
        fields = [
            "code", "kind", "value", "max_discount", "min_subtotal", "max_uses",
            "max_uses_per_customer", "valid_from", "valid_to", "is_active",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        label_from_model(self)

    def clean_code(self) -> str:
        try:
            code = rules.normalize_code(self.cleaned_data["code"])
        except RuleError as exc:
            raise ValidationError(exc.message) from None
        if Coupon.objects.filter(code=code).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("A coupon with this code already exists."))
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            rules.check_terms(
                kind=data.get("kind"),
                value=data.get("value"),
                max_discount=data.get("max_discount"),
                valid_from=data.get("valid_from"),
                valid_to=data.get("valid_to"),
            )
        except RuleError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    form = CouponAdminForm
    list_display = ("code", "kind", "value", "max_discount", "min_subtotal", "uses_shown",
                    "max_uses", "valid_from", "valid_to", "is_active")  # fmt: skip
    list_filter = ("kind", "is_active")
    search_fields = ("code",)
    readonly_fields = ("uses_shown", "orders_shown", "created_at", "updated_at")
    fields = (
        "code",
        ("kind", "value"),
        ("max_discount", "min_subtotal"),
        ("max_uses", "max_uses_per_customer", "uses_shown"),
        ("valid_from", "valid_to"),
        "is_active",
        "orders_shown",
        ("created_at", "updated_at"),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Coupon]:
        return coupon_queryset()

    @admin.display(description=_("uses"), ordering="uses")
    def uses_shown(self, coupon: Coupon) -> int:
        return getattr(coupon, "uses", 0)

    @admin.display(description=_("orders"))
    def orders_shown(self, coupon: Coupon) -> str:
        """The newest orders holding the coupon, and a link to all of them in the order list."""
        if coupon.pk is None:
            return "—"
        orders = list(
            Order.objects.filter(coupon_id=coupon.pk)
            .order_by("-created_at", "-id")
            .values("id", "key", "status", "total")[:ORDERS_SHOWN]
        )
        if not orders:
            return "—"
        rows = format_html_join(
            "",
            '<li><a href="{}">#{} {}</a> · {} · {}</li>',
            (
                (reverse("admin:orders_order_change", args=[o["id"]]), o["id"], o["key"],
                 o["status"], f"{o['total']:,}")
                for o in orders
            ),
        )  # fmt: skip
        every = reverse("admin:orders_order_changelist") + f"?coupon__id__exact={coupon.pk}"
        return format_html('<ul>{}</ul><a href="{}">{}</a>', rows, every, _("All its orders"))

    def save_model(self, request: HttpRequest, obj: Coupon, form, change: bool) -> None:
        if not change:
            obj.save()
            return
        # The code of a held coupon is read-only here (get_readonly_fields), so the service's
        # one refusal cannot happen.
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        services.coupon_update(coupon_id=obj.pk, data=data)

    def get_readonly_fields(self, request: HttpRequest, obj: Coupon | None = None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and services.coupon_is_held(coupon_id=obj.pk):
            readonly.append("code")  # orders show the code they were given (services)
        return readonly

    def has_delete_permission(self, request: HttpRequest, obj: Coupon | None = None) -> bool:
        if obj is not None and services.coupon_is_held(coupon_id=obj.pk):
            return False  # held by orders: deactivate it instead (SPEC §12)
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one at a time, through the held-coupon check
        return actions

    def delete_model(self, request: HttpRequest, obj: Coupon) -> None:
        services.coupon_delete(coupon_id=obj.pk)
