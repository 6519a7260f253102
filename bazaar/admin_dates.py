"""Dates in the admin: Solar Hijri (Jalali) when the active language is Persian, Django's own
Gregorian format otherwise (SPEC §16).

Django's admin formats a date field itself (`display_for_field`) and has no calendar hook, so a
date shown in a list column or a read-only field is a display method from `date_column`, and a
date filter is `JalaliDateFieldListFilter`. Only what is shown changes: stored values, ordering
and the filters' URL parameters stay Gregorian ISO dates.
"""

import datetime
from collections.abc import Callable
from typing import Any

import jdatetime
from django.contrib import admin
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext

EMPTY = "—"
JALALI_DATETIME_FORMAT = "%Y/%m/%d %H:%M"
JALALI_DATE_FORMAT = "%Y/%m/%d"
DJANGO_THIS_MONTH = "This month"
DJANGO_THIS_YEAR = "This year"


def jalali_active() -> bool:
    """True while the request is served in Persian (LocaleMiddleware activates it)."""
    return (get_language() or "").split("-")[0] == "fa"


def date_text(value: datetime.date | None) -> str:
    """A date or datetime as the admin shows it in the active language (local time zone)."""
    if value is None:
        return EMPTY
    if isinstance(value, datetime.datetime):
        value = timezone.template_localtime(value)
        if jalali_active():
            return jdatetime.datetime.fromgregorian(datetime=value).strftime(JALALI_DATETIME_FORMAT)
    elif jalali_active():
        return jdatetime.date.fromgregorian(date=value).strftime(JALALI_DATE_FORMAT)
    return formats.localize(value)  # what Django's admin shows for a date field


def date_column(field_name: str, description: Any) -> Callable[[Any, models.Model], str]:
    """A ModelAdmin display method for a date field, sortable by the field:

        created_at_local = date_column("created_at", _("created at"))

    then name `created_at_local` in list_display, readonly_fields or fieldsets."""

    @admin.display(description=description, ordering=field_name)
    def column(model_admin: Any, obj: models.Model) -> str:
        return date_text(getattr(obj, field_name))

    column.__name__ = f"{field_name}_local"
    return column


def jalali_month_start(day: datetime.date, months_ahead: int = 0) -> datetime.date:
    """The Gregorian date on which the Jalali month of `day` (or one `months_ahead`) begins."""
    jalali = jdatetime.date.fromgregorian(date=day)
    month = jalali.month - 1 + months_ahead
    return jdatetime.date(jalali.year + month // 12, month % 12 + 1, 1).togregorian()


def jalali_year_start(day: datetime.date, years_ahead: int = 0) -> datetime.date:
    """The Gregorian date of Nowruz of the Jalali year of `day` (or one `years_ahead`)."""
    return jdatetime.date(
        jdatetime.date.fromgregorian(date=day).year + years_ahead, 1, 1
    ).togregorian()


class JalaliDateFieldListFilter(admin.DateFieldListFilter):
    """Django's date filter, whose "This month" and "This year" are the Jalali month and year
    while the admin speaks Persian (today and the past 7 days are the same in both calendars)."""

    def __init__(self, field, request, params, model, model_admin, field_path) -> None:
        super().__init__(field, request, params, model, model_admin, field_path)
        if not jalali_active():
            return
        now = timezone.now()
        if timezone.is_aware(now):
            now = timezone.localtime(now)  # "this month" where the shop is, as Django does
        today = now.date()

        def same_kind(day: datetime.date) -> datetime.date:
            # The filter compares a datetime field with datetimes at local midnight.
            if isinstance(field, models.DateTimeField):
                midnight = datetime.datetime.combine(day, datetime.time())
                return midnight.replace(tzinfo=now.tzinfo) if now.tzinfo else midnight
            return day

        # Django's own titles (its catalogue translates them), found by their msgid.
        ranges = {
            gettext(DJANGO_THIS_MONTH): (jalali_month_start(today), jalali_month_start(today, 1)),
            gettext(DJANGO_THIS_YEAR): (jalali_year_start(today), jalali_year_start(today, 1)),
        }
        links = []
        for title, lookup in self.links:
            if str(title) in ranges:
                since, until = ranges[str(title)]
                lookup = {
                    self.lookup_kwarg_since: same_kind(since),
                    self.lookup_kwarg_until: same_kind(until),
                }
            links.append((title, lookup))
        self.links = tuple(links)


class GregorianDateHierarchyMixin:
    """Django's date hierarchy (years, months, days above a list) knows only the Gregorian
    calendar, so it is shown in English and left out in Persian, where the list's Jalali date
    filter stands in. Set `gregorian_date_hierarchy` instead of `date_hierarchy`."""

    gregorian_date_hierarchy: str | None = None

    @property
    def date_hierarchy(self) -> str | None:
        return None if jalali_active() else self.gregorian_date_hierarchy
