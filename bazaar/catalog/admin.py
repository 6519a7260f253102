from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from bazaar.admin_dates import JalaliDateFieldListFilter, date_column
from bazaar.api.admin_search import FoldedSearchMixin
from bazaar.catalog.models import Product
from bazaar.catalog.selectors import product_queryset
from bazaar.catalog.services import product_slug_generate
from bazaar.media.admin import thumbnail_preview


class ProductAdminForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["code", "title", "slug", "price", "image", "is_active"]
        help_texts = {"slug": _("Leave empty to make it from the title (Unicode kept).")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["price"].min_value = 0


@admin.register(Product)
class ProductAdmin(FoldedSearchMixin, admin.ModelAdmin):
    form = ProductAdminForm
    list_display = ["id", "preview", "code", "title", "price", "is_active", "updated_at_local"]
    list_display_links = ["id", "preview", "code"]
    search_fields = ["code", "slug", "title"]
    list_filter = [
        "is_active",
        ("created_at", JalaliDateFieldListFilter),
        ("updated_at", JalaliDateFieldListFilter),
    ]
    autocomplete_fields = ["image"]
    readonly_fields = ["preview", "created_at_local", "updated_at_local"]

    created_at_local = date_column("created_at", _("created at"))
    updated_at_local = date_column("updated_at", _("updated at"))

    def get_queryset(self, request) -> QuerySet[Product]:
        return product_queryset()

    def save_model(self, request, obj: Product, form, change: bool) -> None:
        if not obj.slug:
            obj.slug = product_slug_generate(title=obj.title, code=obj.code, exclude_pk=obj.pk)
        super().save_model(request, obj, form, change)

    @admin.display(description=_("image"))
    def preview(self, product: Product):
        return thumbnail_preview(product.image)
