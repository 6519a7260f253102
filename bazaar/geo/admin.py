from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from bazaar.api.admin_search import FoldedSearchMixin
from bazaar.geo.models import City, Country, State


class UpperCaseCodeForm(forms.ModelForm):
    """Codes are stored upper-case, as the API stores them, so `ir` and `IR` clash here too."""

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()


@admin.register(Country)
class CountryAdmin(FoldedSearchMixin, admin.ModelAdmin):
    form = UpperCaseCodeForm
    list_display = ["id", "name", "code"]
    list_display_links = ["id", "name"]
    search_fields = ["name", "code"]
    list_filter = ["code"]


@admin.register(State)
class StateAdmin(FoldedSearchMixin, admin.ModelAdmin):
    form = UpperCaseCodeForm
    list_display = ["id", "name", "code", "country"]
    list_display_links = ["id", "name"]
    list_filter = ["country"]
    search_fields = ["name", "code", "country__name"]
    list_select_related = ["country"]
    autocomplete_fields = ["country"]


@admin.register(City)
class CityAdmin(FoldedSearchMixin, admin.ModelAdmin):
    list_display = ["id", "name", "state", "country"]
    list_display_links = ["id", "name"]
    list_filter = ["state__country", "state"]
    search_fields = ["name", "state__name"]
    list_select_related = ["state__country"]
    autocomplete_fields = ["state"]

    @admin.display(description=_("country"), ordering="state__country__name")
    def country(self, city: City) -> Country:
        return city.state.country
