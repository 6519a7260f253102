from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from bazaar.accounts.validators import normalize_mobile
from bazaar.admin_dates import (
    GregorianDateHierarchyMixin,
    JalaliDateFieldListFilter,
    date_column,
)
from bazaar.api.admin_search import FoldedSearchMixin
from bazaar.customers.models import Customer


class CustomerAdminForm(forms.ModelForm):
    # Wider than the stored 11 characters: "+98 912 123 4567" is normalised in clean_mobile_number.
    mobile_number = forms.CharField(
        max_length=32,
        label=_("mobile number"),
        help_text=_("Any form (+98, 0098, Persian digits ...); stored as 09xxxxxxxxx."),
    )

    class Meta:
        model = Customer
        fields = ["mobile_number", "username", "first_name", "last_name", "email", "is_active"]
        help_texts = {"username": _("Leave empty to use the mobile number.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].required = False

    def clean_mobile_number(self) -> str:
        try:
            return normalize_mobile(self.cleaned_data["mobile_number"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None

    def clean(self):
        cleaned = super().clean()
        # Before the model's uniqueness checks run, so a clash is shown on the form.
        if not cleaned.get("username") and cleaned.get("mobile_number"):
            cleaned["username"] = cleaned["mobile_number"]
        return cleaned


@admin.register(Customer)
class CustomerAdmin(FoldedSearchMixin, GregorianDateHierarchyMixin, admin.ModelAdmin):
    """Customers only (the proxy's manager leaves staff out); staff are managed as users."""

    form = CustomerAdminForm
    list_display = ["id", "username", "mobile_number", "full_name", "email", "date_joined_local"]
    list_display_links = ["id", "username"]
    search_fields = ["username", "first_name", "last_name", "mobile_number", "email"]
    list_filter = ["is_active", ("date_joined", JalaliDateFieldListFilter)]
    readonly_fields = ["date_joined_local", "last_login_local"]
    gregorian_date_hierarchy = "date_joined"

    date_joined_local = date_column("date_joined", _("date joined"))
    last_login_local = date_column("last_login", _("last login"))

    def save_model(self, request, obj: Customer, form, change: bool) -> None:
        if not change:
            obj.is_staff = False
            obj.is_superuser = False
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)

    @admin.display(description=_("full name"), ordering="last_name")
    def full_name(self, customer: Customer) -> str:
        return customer.full_name
