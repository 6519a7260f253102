"""Reusable django-filter pieces for list endpoints (SPEC §2, §5): every bad value is a 400 that
names its parameter; booleans take true/false/1/0 in any case; dates are read in TIME_ZONE, in
the Gregorian or the Jalali calendar (SPEC §16)."""

import re
from datetime import date, datetime, time, timedelta

import django_filters
import jdatetime
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_filters.fields import BaseCSVField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from bazaar.api.limits import MAX_ID
from bazaar.api.text import DIGITS

# A day as the date filters read it (SPEC §16): YYYY-MM-DD or YYYY/MM/DD, in Latin, Persian or
# Arabic-Indic digits, the month 1-12 and the day 1-31.
_D = "[0-9۰-۹٠-٩]"
_MONTH = "(?:[0۰٠]?[1-9۱-۹١-٩]|[1۱١][0-2۰-۲٠-٢])"
_DAY = "(?:[0۰٠]?[1-9۱-۹١-٩]|[12۱۲١٢][0-9۰-۹٠-٩]|[3۳٣][01۰۱٠١])"
DAY_PATTERN = rf"^\s*[1-9۱-۹١-٩]{_D}{{3}}[-/]{_MONTH}[-/]{_DAY}\s*$"


class FilterSet(django_filters.FilterSet):
    """A FilterSet that, when bound, keeps only the filters whose parameter the request sends.

    Why: django-filter builds a form field for every filter of the set on every request, and
    Django copies each again into the form; the order list has 55 filters and a request uses a
    handful, and building the others cost some 3 ms per request. A filter whose parameter is
    absent filters nothing, so leaving it out changes no result (the schema still lists all)."""

    def __init__(self, data=None, *args, **kwargs) -> None:
        super().__init__(data, *args, **kwargs)
        if data is not None:
            self.filters = {name: f for name, f in self.filters.items() if name in data}


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


class IdField(forms.IntegerField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


# The schema types below are what the filters accept; drf-spectacular alone would guess `number`
# for ids, `string` for booleans and `date-time` where a date is accepted too.
@extend_schema_field(OpenApiTypes.INT64)
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


@extend_schema_field(OpenApiTypes.INT64)
class IntegerBoundFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


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


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- dates: Gregorian or Jalali (SPEC §16) -------------------------------------------------------

_ASCII_DIGITS = str.maketrans(DIGITS)
_DATE = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})")
# Years read as Solar Hijri: no Gregorian date a shop records falls in them, and every Jalali
# date a shop records does (1403 is 2024-2025).
JALALI_YEARS = range(1200, 1600)
DATE_HELP = (
    "YYYY-MM-DD in the Gregorian calendar, or a Jalali (Solar Hijri) date such as 1403-09-10 or "
    "1403/09/10 (a year from 1200 to 1599 is read as Jalali); Latin or Persian digits."
)


def parse_date(text: str) -> date:
    """`2025-12-01`, `2025/12/01`, `1403-09-10`, `۱۴۰۳/۰۹/۱۰` (Jalali when the year is 1200-1599,
    with the calendar's real leap years). ValueError for anything else, or a day that does not
    exist (`1404-12-30`, `2025-02-29`)."""
    match = _DATE.fullmatch(text.strip().translate(_ASCII_DIGITS))
    if not match:
        raise ValueError(f"not a date: {text!r}")
    year, month, day = (int(part) for part in match.groups())
    if year in JALALI_YEARS:
        return jdatetime.date(year, month, day).togregorian()
    return date(year, month, day)


class CalendarDateField(forms.Field):
    default_error_messages = {"invalid": f"Enter a valid date: {DATE_HELP}"}

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return parse_date(str(value))
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


@extend_schema_field(
    {
        "type": "string",
        "description": f"A day: {DATE_HELP}",
        # Months 1-12 and days 1-31 in any of the three digit sets; which day a month has (and
        # Jalali leap years) is the calendar's to say, and such a day is a 400 naming the filter.
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
        start = _start_of_day(value)
        end = _start_of_day(value + timedelta(days=1))
        return qs.filter(**{f"{self.field_name}__gte": start, f"{self.field_name}__lt": end})


class MomentField(forms.Field):
    """A date (`2025-12-27`, Jalali `1404-10-06` or `1404/10/06`, see `parse_date`) or an ISO
    datetime (`2025-12-27T18:17:09Z`, `...+03:30`, naive = TIME_ZONE; its date part may be
    Jalali too). Returns `(moment, date_only)`."""

    default_error_messages = {
        "invalid": f"Use a date or an ISO 8601 datetime (YYYY-MM-DDTHH:MM[:SS][Z]). {DATE_HELP}"
    }

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().translate(_ASCII_DIGITS)
        day, separator, clock = text.replace(" ", "T", 1).partition("T")
        try:
            if not separator:
                return _start_of_day(parse_date(day)), True
            moment = datetime.fromisoformat(f"{parse_date(day).isoformat()}T{clock}")
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment, False


@extend_schema_field(
    {
        "type": "string",
        "description": "A date or an ISO 8601 datetime (2025-12-27T18:17:09Z). A date is "
        + DATE_HELP,
        "example": "2025-12-27",
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
            return qs.filter(**{f"{self.field_name}__gte": moment})
        if date_only:
            return qs.filter(**{f"{self.field_name}__lt": moment + timedelta(days=1)})
        return qs.filter(**{f"{self.field_name}__lte": moment})
