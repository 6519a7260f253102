"""Reusable django-filter pieces for list endpoints (SPEC §2, §5): every bad value is a 400 that
names its parameter; booleans take true/false/1/0 in any case; dates are read in TIME_ZONE, in
the Gregorian or the Jalali calendar (SPEC §16)."""

from datetime import UTC, date, datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_filters.fields import BaseCSVField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from bazaar.api.dates import (
    DATE_HELP,
    DAY_PATTERN,
    MOMENT_PATTERN,
    TIME_HELP,
    is_blank,
    parse_date,
    parse_moment,
)
from bazaar.api.limits import MAX_ID
from bazaar.api.text import parse_whole_number


class FilterSet(django_filters.FilterSet):
    """A FilterSet that, when bound, keeps only the filters whose parameter the request sends.

    Why: django-filter builds a form field for every filter of the set on every request, and
    Django copies each again into the form; the order list has 55 filters and a request uses a
    handful, and building the others cost some 3 ms per request. A filter whose parameter is
    absent filters nothing, so leaving it out changes no result (the schema still lists all).
    The others are not even copied: django-filter deep-copies `base_filters` for each instance,
    which for 55 filters (their choices, their lazy labels) was another ~1 ms per request."""

    def __init__(self, data=None, *args, **kwargs) -> None:
        if data is not None:
            # An instance attribute, read by django-filter's __init__ in place of the class's.
            self.base_filters = {
                name: f for name, f in type(self).base_filters.items() if name in data
            }
        super().__init__(data, *args, **kwargs)


class StrictBooleanField(forms.Field):
    default_error_messages = {"invalid": "Use true, false, 1 or 0."}

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in {"true", "1"}:
            return True
        if text in {"false", "0"}:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class WholeNumberField(forms.IntegerField):
    """Django's IntegerField reading the text as `parse_whole_number` does (not `5.0`, `1_000`)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_whole_number(str(value))
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class IdField(WholeNumberField):
    """A row's id: ids start at 1 (the schema's `minimum: 1`), so 0 is refused like -1."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


# The schema types below are what the filters accept; drf-spectacular alone would guess `number`
# for ids, `string` for booleans and `date-time` where a date is accepted too.
@extend_schema_field({"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    field_class = IdField


class StrictCSVField(BaseCSVField):
    """Comma-separated values where every value must be present and valid (`1,,2` is a 400)."""

    def clean(self, value):
        if value is not None and any(part.strip() == "" for part in value):
            raise forms.ValidationError("Empty value in the comma-separated list.", code="invalid")
        return super().clean(value)


class IdInFilter(django_filters.BaseInFilter, IdFilter):
    """`customer_in=1,2,3`: every value must be an id."""

    base_field_class = StrictCSVField


class ChoiceInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """`status_in=new,hold`: every value must be a valid choice."""

    base_field_class = StrictCSVField


# Any whole number, however large: a bound beyond what a column holds matches every row or none
# (Django's lookups handle the overflow), so the schema sets no `format` limit either.
@extend_schema_field({"type": "integer"})
class IntegerBoundFilter(django_filters.NumberFilter):
    field_class = WholeNumberField


@extend_schema_field(OpenApiTypes.BOOL)
class HasValueFilter(django_filters.Filter):
    """`has_x=true`: the field is set. For text fields "set" means not null and not empty."""

    field_class = StrictBooleanField

    def __init__(self, *args, text: bool = False, **kwargs) -> None:
        self.text = text
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        present = Q(**{f"{self.field_name}__isnull": False})
        if self.text:
            present &= ~Q(**{self.field_name: ""})
        return qs.filter(present) if value else qs.exclude(present)


# --- dates: Gregorian or Jalali (SPEC §16); bazaar.api.dates has the grammar ---------------------

# The bounds a date filter puts on a column, with a moment that UTC cannot hold (within a day of
# 0001-01-01 or 9999-12-31, say `9999-12-31` as a whole day) read as before or after every
# moment rather than overflowing.


def _utc(moment: datetime) -> datetime | None:
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None


def _at_or_after(qs: QuerySet, field: str, moment: datetime) -> QuerySet:
    utc = _utc(moment)
    if utc is None:
        return qs if moment.year == 1 else qs.none()
    return qs.filter(**{f"{field}__gte": utc})


def _before(qs: QuerySet, field: str, moment: datetime, *, inclusive: bool = False) -> QuerySet:
    utc = _utc(moment)
    if utc is None:
        return qs.none() if moment.year == 1 else qs
    return qs.filter(**{f"{field}__{'lte' if inclusive else 'lt'}": utc})


def _next_day(moment: datetime) -> datetime | None:
    """The start of the next day in the configured time zone; None after 9999-12-31."""
    try:
        following = moment.date() + timedelta(days=1)
    except OverflowError:
        return None
    return timezone.make_aware(datetime.combine(following, time.min))


class CalendarDateField(forms.Field):
    default_error_messages = {"invalid": f"Enter a valid date: {DATE_HELP}"}

    def to_python(self, value):
        if is_blank(value):
            return None
        try:
            return parse_date(str(value))
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


@extend_schema_field(
    {
        "type": "string",
        "description": f"A day: {DATE_HELP} Empty means not filtering.",
        # Exactly the days that exist, in either calendar and any of the digit sets.
        "pattern": DAY_PATTERN,
        "example": "2025-12-27",
    }
)
class DateInZoneFilter(django_filters.DateFilter):
    """`created_date=2025-12-27` (or `1404-10-06`): that whole day in TIME_ZONE, as an
    index-friendly range."""

    field_class = CalendarDateField

    def filter(self, qs: QuerySet, value: date | None) -> QuerySet:
        if value is None:
            return qs
        start = timezone.make_aware(datetime.combine(value, time.min))
        qs = _at_or_after(qs, self.field_name, start)
        end = _next_day(start)
        return qs if end is None else _before(qs, self.field_name, end)


class MomentField(forms.Field):
    """A date (`2025-12-27`, Jalali `1404-10-06` or `1404/10/06`) or a date and a time
    (`2025-12-27T18:17:09Z`, `...+03:30`, naive = TIME_ZONE; its date part may be Jalali too),
    as `bazaar.api.dates.parse_moment` reads them. Returns `(moment, date_only)`."""

    default_error_messages = {
        "invalid": "Use a date or an ISO 8601 datetime "
        f"(YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z|±HH:MM]). {DATE_HELP}"
    }

    def to_python(self, value):
        if is_blank(value):
            return None
        try:
            return parse_moment(str(value))
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


@extend_schema_field(
    {
        "type": "string",
        "description": f"A date, or a date and {TIME_HELP}. A date is {DATE_HELP} Empty means "
        "not filtering.",
        "pattern": MOMENT_PATTERN,
        "example": "2025-12-27T18:17:09Z",
    }
)
class MomentFilter(django_filters.Filter):
    """`created_from` / `created_to`, inclusive; a date-only `_to` covers that whole day."""

    field_class = MomentField

    def __init__(self, *args, upper: bool = False, **kwargs) -> None:
        self.upper = upper
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if value is None:
            return qs
        moment, date_only = value
        if not self.upper:
            return _at_or_after(qs, self.field_name, moment)
        if not date_only:
            return _before(qs, self.field_name, moment, inclusive=True)
        end = _next_day(moment)
        return qs if end is None else _before(qs, self.field_name, end)
