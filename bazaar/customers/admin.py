from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from bazaar.accounts.validators import normalize_mobile
from bazaar.api.admin_search import FoldedSearchMixin
from bazaar.customers.models import Customer


class CustomerAdminForm(forms.ModelForm):
    # Wider than the stored 11 characters: "+98 912 123 4567" is normalised in clean_mobile_number.
    mobile_number = forms.CharField(
        max_length=32, help_text="Any form (+98, 0098, Persian digits ...); stored as 09xxxxxxxxx."
    )

    class Meta:
        model = Customer
        fields = ["mobile_number", "username", "first_name", "last_name", "email", "is_active"]
        help_texts = {"username": "Leave empty to use the mobile number."}

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
class CustomerAdmin(FoldedSearchMixin, admin.ModelAdmin):
    """Customers only (the proxy's manager leaves staff out); staff are managed as users."""

    form = CustomerAdminForm
    list_display = ["id", "username", "mobile_number", "full_name", "email", "date_joined"]
    list_display_links = ["id", "username"]
    search_fields = ["username", "first_name", "last_name", "mobile_number", "email"]
    list_filter = ["is_active", "date_joined"]
    readonly_fields = ["date_joined", "last_login"]
    date_hierarchy = "date_joined"

    def save_model(self, request, obj: Customer, form, change: bool) -> None:
        if not change:
            obj.is_staff = False
            obj.is_superuser = False
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)

    @admin.display(description="full name", ordering="last_name")
    def full_name(self, customer: Customer) -> str:
        return customer.full_name
