from django.contrib import admin
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from bazaar.api.admin_search import FoldedSearchMixin
from bazaar.media.admin import thumbnail_preview
from bazaar.methods.models import PaymentMethod, ShippingMethod
from bazaar.methods.selectors import payment_method_queryset, shipping_method_queryset


class MethodAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["id", "preview", "name", "is_active"]
    list_display_links = ["id", "preview", "name"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    autocomplete_fields = ["image"]
    fields = ["name", "image", "preview", "is_active"]
    readonly_fields = ["preview"]

    @admin.display(description=_("image"))
    def preview(self, method):
        return thumbnail_preview(method.image)


@admin.register(PaymentMethod)
class PaymentMethodAdmin(MethodAdmin):
    def get_queryset(self, request) -> QuerySet[PaymentMethod]:
        return payment_method_queryset()


@admin.register(ShippingMethod)
class ShippingMethodAdmin(MethodAdmin):
    fields = [*MethodAdmin.fields, "tracking_url_template"]

    def get_queryset(self, request) -> QuerySet[ShippingMethod]:
        return shipping_method_queryset()
