from django_filters import rest_framework as filters

from bazaar.catalog.filters import IdFilter
from bazaar.geo.models import City, State


class StateFilter(filters.FilterSet):
    country = IdFilter(help_text="Only the states of this country (id).")

    class Meta:
        model = State
        fields = ["country"]


class CityFilter(filters.FilterSet):
    state = IdFilter(help_text="Only the cities of this state (id).")
    country = IdFilter(field_name="state__country", help_text="Only the cities of this country.")

    class Meta:
        model = City
        fields = ["state", "country"]
