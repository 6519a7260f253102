"""Filters of the product list, and two strict filter types that the reference resources share.

django-filter's own BooleanFilter silently ignores `is_active=maybe`, and its NumberFilter takes
`country=1.5`; SPEC §2 wants both to be a 400 naming the parameter.
"""

from django import forms
from django_filters import rest_framework as filters

from bazaar.api.filtersets import WholeNumberField
from bazaar.api.limits import MAX_ID
from bazaar.catalog.models import Product


class StrictBooleanField(forms.Field):
    """`true/false/1/0` in any case; anything else is a validation error."""

    TRUE = frozenset({"true", "1"})
    FALSE = frozenset({"false", "0"})
    default_error_messages = {"invalid": "Use true, false, 1 or 0."}

    def to_python(self, value):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class StrictBooleanFilter(filters.Filter):
    field_class = StrictBooleanField


class IdFilter(filters.Filter):
    """A related row's id: a whole number from 1 (ids start there, as the schema says), else a
    400 (`?country=abc`, `?country=0`)."""

    field_class = WholeNumberField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class ProductFilter(filters.FilterSet):
    is_active = StrictBooleanFilter()
    image = IdFilter()
    has_image = StrictBooleanFilter(field_name="image", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Product
        fields = ["is_active", "image", "has_image"]
