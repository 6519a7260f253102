import django_filters

from bazaar.api.filtersets import FilterSet, HasValueFilter
from bazaar.catalog.filters import StrictBooleanFilter
from bazaar.coupons.models import Coupon, CouponKind


class CouponFilterSet(FilterSet):
    is_active = StrictBooleanFilter()
    kind = django_filters.ChoiceFilter(choices=CouponKind.choices)
    has_max_uses = HasValueFilter(field_name="max_uses")

    class Meta:
        model = Coupon
        fields: list[str] = []
