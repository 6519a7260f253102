"""Days and moments as the list filters read them (SPEC §5, §16), and the schema patterns that
admit exactly the same text (SPEC §2: the schema is exact).

A day is `YYYY-MM-DD` or `YYYY/MM/DD` (one- or two-digit month and day), in Latin, Persian or
Arabic-Indic digits; a year from 1200 to 1599 is Solar Hijri (Jalali), any other from 0001 to 9999
Gregorian. A moment is a day, or a day and a time of day: `T` or one space, `HH`, `HH:MM`,
`HH:MM:SS` or the same without colons (`HHMM`, `HHMMSS`), seconds with a fraction after `.` or
`,`, then optionally `Z`, `±HH`, `±HHMM` or `±HH:MM`; no zone means the configured time zone. The
value may be padded with whitespace; a blank value means "not filtering", as an empty one does.

The parsers check the shape with a plain regular expression and leave the calendar to `date` and
`jdatetime`; the patterns spell the calendar out (which month has 30 or 31 days, and every leap
year, Gregorian and Jalali: over four-digit years each is a finite list). They are built from
those same calendars below, and the tests hold the two sides to each other case by case.

Python's own `datetime.fromisoformat` is not the parser: it reads `10.5` as 10:00:00.5 and
`10:30.5` as 10:30:00.5 (ISO 8601 means 10:30 and 10:30:30), takes offsets with seconds and
`10:30:00.Z`, and what it takes changes between Python versions."""

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone

import jdatetime
from django.utils import timezone as django_timezone

from bazaar.api.text import DIGITS, WHITESPACE_CLASS

# Years read as Solar Hijri: no Gregorian date a shop records falls in them, and every Jalali
# date a shop records does (1403 is 2024-2025).
JALALI_YEARS = range(1200, 1600)
GREGORIAN_YEARS = [y for y in range(1, 10000) if y not in JALALI_YEARS]
DATE_HELP = (
    "YYYY-MM-DD in the Gregorian calendar, or a Jalali (Solar Hijri) date such as 1403-09-10 or "
    "1403/09/10 (a year from 1200 to 1599 is read as Jalali); Latin or Persian digits."
)
TIME_HELP = (
    "a time after `T` or a space: HH:MM, HH:MM:SS or HH:MM:SS.ffffff (or without colons), then "
    "`Z`, an offset such as +03:30, or nothing for the server's time zone"
)

_ASCII_DIGITS = str.maketrans(DIGITS)

# --- parsing -------------------------------------------------------------------------------------

_DAY = r"(?P<year>[0-9]{4})[-/](?P<month>[0-9]{1,2})[-/](?P<day>[0-9]{1,2})"
_CLOCK = (
    r"[T ](?P<hour>[0-9]{2})"
    r"(?:(?P<colon>:?)(?P<minute>[0-9]{2})"
    r"(?:(?P=colon)(?P<second>[0-9]{2})(?:[.,](?P<fraction>[0-9]+))?)?)?"
    r"(?:(?P<utc>Z)|(?P<sign>[+-])(?P<zone_hour>[0-9]{2})(?::?(?P<zone_minute>[0-9]{2}))?)?"
)
_DAY_TEXT = re.compile(_DAY)
_MOMENT_TEXT = re.compile(rf"{_DAY}(?:{_CLOCK})?")


def _ascii(text: str) -> str:
    return text.strip().translate(_ASCII_DIGITS)


def _calendar_day(year: int, month: int, day: int) -> date:
    if year in JALALI_YEARS:
        return jdatetime.date(year, month, day).togregorian()
    return date(year, month, day)


def is_blank(value) -> bool:
    """No value: absent, empty or only whitespace (a filter that is not filtering)."""
    return value is None or not str(value).strip()


def parse_date(text: str) -> date:
    """`2025-12-01`, `2025/12/01`, `1403-09-10`, `۱۴۰۳/۰۹/۱۰` (Jalali when the year is 1200-1599,
    with the calendar's real leap years). ValueError for anything else, or a day that does not
    exist (`1404-12-30`, `2025-02-29`)."""
    match = _DAY_TEXT.fullmatch(_ascii(text))
    if not match:
        raise ValueError(f"not a date: {text!r}")
    return _calendar_day(*(int(part) for part in match.group("year", "month", "day")))


def parse_moment(text: str) -> tuple[datetime, bool]:
    """A day (its start in the configured time zone) or a day and a time, as the module docstring
    says: `(aware datetime, date_only)`. ValueError for anything else."""
    match = _MOMENT_TEXT.fullmatch(_ascii(text))
    if not match:
        raise ValueError(f"not a moment: {text!r}")
    parts = match.groupdict()
    day = _calendar_day(*(int(parts[name]) for name in ("year", "month", "day")))
    if parts["hour"] is None:
        return django_timezone.make_aware(datetime.combine(day, datetime.min.time())), True
    zone = None
    if parts["utc"]:
        zone = UTC
    elif parts["sign"]:
        hours, minutes = int(parts["zone_hour"]), int(parts["zone_minute"] or 0)
        if hours > 23 or minutes > 59:
            raise ValueError(f"not an offset: {text!r}")
        offset = timedelta(hours=hours, minutes=minutes)
        zone = timezone(-offset if parts["sign"] == "-" else offset)
    moment = datetime(
        day.year,
        day.month,
        day.day,
        int(parts["hour"]),
        int(parts["minute"] or 0),
        int(parts["second"] or 0),
        # Microseconds: the first six digits of the fraction (more are dropped, not rounded).
        int((parts["fraction"] or "")[:6].ljust(6, "0")),
        tzinfo=zone,
    )
    if zone is None:
        moment = django_timezone.make_aware(moment)
    return moment, False


# --- patterns ------------------------------------------------------------------------------------

_DIGIT_SETS = ("0123456789", "۰۱۲۳۴۵۶۷۸۹", "٠١٢٣٤٥٦٧٨٩")
_WS = f"[{WHITESPACE_CLASS}]*"


def digit_class(digits: Iterable[str]) -> str:
    """A character class of these ASCII digits in each of the three digit sets:
    `digit_class("0489")` is `[04۰۴٠٤89۸۹٨٩]`-like, runs written as ranges."""
    values = sorted({int(d) for d in digits})
    runs: list[list[int]] = []
    for value in values:
        if runs and runs[-1][1] == value - 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    body = ""
    for symbols in _DIGIT_SETS:
        for low, high in runs:
            if high - low >= 2:
                body += f"{symbols[low]}-{symbols[high]}"
            else:
                body += symbols[low : high + 1]
    return f"[{body}]"


def digits_pattern(strings: Iterable[str]) -> str:
    """A pattern matching exactly these ASCII digit strings (all of one length), each digit in
    any digit set: a trie whose branches with the same continuation share one class."""
    strings = set(strings)
    if strings == {""}:
        return ""
    heads: dict[str, set[str]] = {}
    for text in strings:
        heads.setdefault(text[0], set()).add(text[1:])
    tails: dict[str, list[str]] = {}
    for head, rests in heads.items():
        tails.setdefault(digits_pattern(rests), []).append(head)
    branches = sorted(digit_class(firsts) + tail for tail, firsts in tails.items())
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"


def _number(values: Iterable[int]) -> str:
    """Months or days: 1-9 with or without a leading zero, 10-31 as two digits."""
    values = set(values)
    branches = []
    small = [str(v) for v in sorted(values) if v < 10]
    if small:
        branches.append(f"{digit_class('0')}?{digit_class(small)}")
    large = [str(v) for v in values if v >= 10]
    if large:
        branches.append(digits_pattern(large))
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"


def _years(years: Iterable[int]) -> str:
    return digits_pattern(f"{y:04d}" for y in years)


def _is_gregorian_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _day_pattern() -> str:
    sep = "[-/]"
    d28, d29, d30, d31 = (_number(range(1, n + 1)) for n in (28, 29, 30, 31))

    def md(months: Iterable[int], days: str) -> str:
        return f"{_number(months)}{sep}{days}"

    gregorian = (
        f"{_years(GREGORIAN_YEARS)}{sep}(?:"
        f"{md([1, 3, 5, 7, 8, 10, 12], d31)}|{md([4, 6, 9, 11], d30)}|{md([2], d28)})"
        f"|{_years(y for y in GREGORIAN_YEARS if _is_gregorian_leap(y))}{sep}"
        f"{md([2], _number([29]))}"
    )
    jalali_leap = [y for y in JALALI_YEARS if jdatetime.date(y, 1, 1).isleap()]
    jalali = (
        f"{_years(JALALI_YEARS)}{sep}(?:"
        f"{md(range(1, 7), d31)}|{md(range(7, 12), d30)}|{md([12], d29)})"
        f"|{_years(jalali_leap)}{sep}{md([12], _number([30]))}"
    )
    return f"(?:{gregorian}|{jalali})"


def _clock_pattern() -> str:
    d = digit_class("0123456789")
    hour = digits_pattern(f"{h:02d}" for h in range(24))
    sixty = f"{digit_class('012345')}{d}"
    zone = f"(?:Z|[+-]{hour}(?::?{sixty})?)"
    return (
        f"[T ]{hour}(?::{sixty}(?::{sixty}(?:[.,]{d}+)?)?|{sixty}(?:{sixty}(?:[.,]{d}+)?)?)?{zone}?"
    )


_DAY_BODY = _day_pattern()
# Blank (empty or only whitespace) is admitted: it means "not filtering". The trailing
# whitespace inside the group also keeps Python's `$` (which matches before a final newline)
# meaning what ECMA-262's does.
DAY_PATTERN = rf"^{_WS}(?:{_DAY_BODY}{_WS})?$"
MOMENT_PATTERN = rf"^{_WS}(?:{_DAY_BODY}(?:{_clock_pattern()})?{_WS})?$"
