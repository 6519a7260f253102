import django_filters

from bazaar.api.filtersets import FilterSet, IdFilter
from bazaar.webhooks.models import Delivery, DeliveryStatus


class DeliveryFilterSet(FilterSet):
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    order = IdFilter(field_name="order_id")

    class Meta:
        model = Delivery
        fields: list[str] = []
