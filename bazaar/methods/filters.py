from django_filters import rest_framework as filters

from bazaar.catalog.filters import StrictBooleanFilter
from bazaar.methods.models import PaymentMethod, ShippingMethod


class PaymentMethodFilter(filters.FilterSet):
    is_active = StrictBooleanFilter()

    class Meta:
        model = PaymentMethod
        fields = ["is_active"]


class ShippingMethodFilter(filters.FilterSet):
    is_active = StrictBooleanFilter()

    class Meta:
        model = ShippingMethod
        fields = ["is_active"]
