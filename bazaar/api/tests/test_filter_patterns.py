"""The order list's query parameters in the schema say exactly what the server takes (SPEC §2,
§5, §16), so that schemathesis' positive- and negative-data checks need no exception for
`orders_list` (tools/fuzz_seed.py, docs/reliability.md).

Each value of the tables below is judged three times and the three must agree: by the schema's
pattern in Python's `re` (what schemathesis and hypothesis generate from), by the same pattern in
an ECMA-262-style engine (jsonschema_rs, what validators and clients use), and by the server
through the API (200, or a 400 naming the parameter).

Regressions, each caught here: the `*_from`/`*_to` filters had no pattern at all and took what
Python's `datetime.fromisoformat` took (`T10.5` read as 10:00:00.5); the day pattern admitted a
31st of a 30-day month, `2025-02-29` and `1404-12-30`, and refused the years 0001-0999 the
server takes; `coupon_code`, `tag` and `tag_in` had no pattern (a NUL, a 51-character label once
trimmed, a comma inside a label), nor `tracking_number` (a `maxLength` the server counts after
trimming); `created_date=9999-12-31`, `created_to=9999-12-31` and
`created_from=0001-01-01T00:00+05:00` were 500s (OverflowError); an empty value (what an HTML
form sends) was a schema violation on every typed filter; `customer=0` was taken where the
schema says ids start at 1; `id_min=5.0` and `customer=1_000` were taken as integers, and
`id_min=-9223372036854775809` was outside the schema's `int64` although it is rightly taken.
"""

import re
from datetime import UTC, date, datetime

import jsonschema_rs
import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bazaar.api.dates import (
    DAY_PATTERN,
    MOMENT_PATTERN,
    digit_class,
    digits_pattern,
    is_blank,
    parse_date,
    parse_moment,
)
from bazaar.api.text import WHITESPACE_CLASS
from bazaar.orders.models import Order

pytestmark = pytest.mark.django_db

DAY_FILTERS = ["created_date", "updated_date"]
MOMENT_FILTERS = ["created_from", "created_to", "updated_from", "updated_to"]
# Python-only: `re` runs in a fraction of the time, and what is checked is the pattern's logic.
FUNCTION_CHECKS = settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
API_CHECKS = settings(
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def served_schema(django_db_setup, django_db_blocker) -> dict:
    """/api/schema/ as served (read once: it takes a while to build, and no test changes it)."""
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def parameters(served_schema) -> dict[str, dict]:
    operation = served_schema["paths"]["/api/orders/"]["get"]
    return {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}


def ecma(pattern: str, value: str) -> bool:
    return jsonschema_rs.validator_for({"type": "string", "pattern": pattern}).is_valid(value)


def disagreements(client, parameters: dict, cases: list[tuple[str, str, bool]]) -> list:
    """The cases `(parameter, value, taken)` on which the pattern (in either dialect) or the
    server does not say `taken`: [] when all three agree on every case."""
    wrong = []
    for name, value, ok in cases:
        schema = parameters[name]["schema"]
        pattern = schema.get("items", schema)["pattern"]
        parts = value.split(",") if schema.get("type") == "array" else [value]
        if all(re.search(pattern, part) for part in parts) is not ok:
            wrong.append((name, value, "re"))
        if all(ecma(pattern, part) for part in parts) is not ok:
            wrong.append((name, value, "ecma"))
        response = client.get("/api/orders/", {name: value})
        if response.status_code != (200 if ok else 400) or (not ok and name not in response.json()):
            wrong.append((name, value, response.status_code, response.content[:200]))
    return wrong


# --- days -----------------------------------------------------------------------------------------

GOOD_DAYS = [
    "2025-12-27", "2025/12/27", "2025-1-5", "2025/01-05", " 2025-12-27\t", "۲۰۲۵-۱۲-۲۷",
    "٢٠٢٥/١٢/٢٧", "2024-02-29", "2000-02-29", "1600-02-29", "1196-02-29", "0004-02-29",
    "2025-04-30", "2025-01-31", "2025-12-31", "0001-01-01", "0999-06-15", "9999-12-31",
    "1403-12-30", "۱۴۰۳/۱۲/۳۰", "1399-12-30", "1404-12-29", "1403-06-31", "1403-07-30",
    "1403-02-31", "1200-01-01", "1599-12-29", "1199-12-31", "", "   ", "\n",
]  # fmt: skip
BAD_DAYS = [
    "2025-02-29", "1900-02-29", "2100-02-29", "1199-02-29", "2025-02-30", "2025-04-31",
    "2025-06-31", "2025-09-31", "2025-11-31", "2025-13-01", "2025-00-10", "2025-01-00",
    "2025-01-32", "2025-1-32", "1404-12-30", "1403-07-31", "1403-11-31", "1403-12-31",
    "1403-13-01", "0000-01-01", "2025-12-27T10:00", "20251227", "2025.12.27", "2025-12",
    "25-12-27", "02025-12-27", "2025-012-27", "२०२५-१२-२७", "2025-12-27x", "2025 12 27",
    "\x00", "yesterday",
]  # fmt: skip


def test_every_day_the_server_takes_the_patterns_admit(admin_client, parameters):
    cases = [(name, v, True) for v in GOOD_DAYS for name in DAY_FILTERS + MOMENT_FILTERS]
    assert disagreements(admin_client, parameters, cases) == []


def test_every_day_the_server_refuses_the_patterns_refuse(admin_client, parameters):
    cases = [(name, v, False) for v in BAD_DAYS for name in DAY_FILTERS]
    # ... and the moment filters, but for the day with a time, which is a moment.
    cases += [(name, v, False) for v in BAD_DAYS if "T" not in v for name in MOMENT_FILTERS]
    assert disagreements(admin_client, parameters, cases) == []


def test_the_schema_publishes_the_patterns(parameters):
    for name in DAY_FILTERS:
        assert parameters[name]["schema"]["pattern"] == DAY_PATTERN
    for name in MOMENT_FILTERS:
        assert parameters[name]["schema"]["pattern"] == MOMENT_PATTERN
        assert "Jalali" in parameters[name]["description"]


# Every month and day number, 0-13 and 0-32, of years around each edge: 0001 and the first
# Gregorian leap years, the Jalali years and their ends, Gregorian century years, 9999.
EDGE_YEARS = [
    *range(120), *range(1180, 1620), *range(1890, 1910), *range(1990, 2110),
    *range(9880, 10000),
]  # fmt: skip


def test_the_day_pattern_is_the_calendar_for_every_month_and_day():
    day = re.compile(DAY_PATTERN)
    wrong = []
    for year in EDGE_YEARS:
        for month in range(14):
            for number in range(33):
                text = f"{year:04d}-{month:02d}-{number}"
                try:
                    parse_date(text)
                    exists = True
                except ValueError:
                    exists = False
                if bool(day.search(text)) is not exists:
                    wrong.append(text)
    assert wrong == []


# Near-valid text: every part of a moment, in any of the digit sets, with the parts sometimes
# out of range or mis-separated, and sometimes one character changed.
DIGIT_SETS = ["0123456789", "۰۱۲۳۴۵۶۷۸۹", "٠١٢٣٤٥٦٧٨٩"]


@st.composite
def numbers(draw, low: int, high: int, widths=(1, 2)) -> str:
    digits = draw(st.sampled_from(DIGIT_SETS))
    value = draw(st.integers(low, high))
    text = str(value).zfill(draw(st.sampled_from(widths)))
    return "".join(digits[int(c)] for c in text)


@st.composite
def near_moments(draw, with_time: bool = True) -> str:
    year = draw(
        st.one_of(
            st.integers(1195, 1605),
            st.integers(0, 9999),
            st.sampled_from([1600, 1900, 2000, 2024, 2025, 2100, 9999]),
        )
    )
    separators = st.sampled_from(["-", "/", "-", "/", ".", ""])
    text = draw(numbers(year, year, (4,)))
    text += draw(separators) + draw(numbers(0, 13)) + draw(separators) + draw(numbers(0, 32))
    if with_time and draw(st.booleans()):
        colon = draw(st.sampled_from([":", "", ":", ";"]))
        text += draw(st.sampled_from(["T", " ", "T", "t", "  "])) + draw(numbers(0, 25, (2,)))
        for _ in range(draw(st.integers(0, 2))):
            text += colon + draw(numbers(0, 61, (2,)))
        if draw(st.booleans()):
            text += draw(st.sampled_from([".", ",", ".", ""])) + draw(
                st.text(st.sampled_from("0123456789۵"), min_size=0, max_size=8)
            )
        zone = draw(st.sampled_from(["", "Z", "z", "+", "-", " Z", "+"]))
        if zone in {"+", "-"}:
            zone += draw(numbers(0, 25, (2,)))
            zone += draw(st.sampled_from(["", ":", ""])) + draw(
                st.one_of(st.just(""), numbers(0, 61, (2,)))
            )
        text += zone
    padding = st.text(st.sampled_from(" \t\n\u3000\u200c\ufeff"), max_size=2)
    text = draw(padding) + text + draw(padding)
    if draw(st.integers(0, 4)) == 0 and text:
        at = draw(st.integers(0, len(text) - 1))
        change = draw(st.sampled_from(["", "0", "-", ":", "T", "x", "\x00"]))
        text = text[:at] + change + text[at + 1 :]
    return text


def parser_takes(parse, text: str) -> bool:
    if is_blank(text):
        return True
    try:
        parse(text)
    except ValueError:
        return False
    return True


@FUNCTION_CHECKS
@given(near_moments())
@example("2025-12-27T10.5")  # fromisoformat: 10:00:00.5
@example("2025-12-27T10:30.5")  # fromisoformat: 10:30:00.5
@example("2025-12-27T10:30:00+03:30:15")  # an offset with seconds
@example("2025-12-27T10:30:00.Z")
@example("2025-12-27T10:30:00 Z")
@example("\n")
def test_the_moment_pattern_and_the_parser_agree(text):
    pattern = re.compile(MOMENT_PATTERN)
    takes = parser_takes(parse_moment, text)
    assert bool(pattern.search(text)) is takes, text
    assert ecma(MOMENT_PATTERN, text) is takes, text


@FUNCTION_CHECKS
@given(near_moments(with_time=False))
def test_the_day_pattern_and_the_parser_agree(text):
    takes = parser_takes(parse_date, text)
    assert bool(re.search(DAY_PATTERN, text)) is takes, text
    assert ecma(DAY_PATTERN, text) is takes, text


@FUNCTION_CHECKS
@given(st.from_regex(MOMENT_PATTERN))
def test_what_a_generator_draws_from_the_moment_pattern_the_parser_takes(text):
    """What schemathesis does with the pattern: generate from it (Python's `re` semantics)."""
    assert parser_takes(parse_moment, text), text


@FUNCTION_CHECKS
@given(st.from_regex(DAY_PATTERN))
def test_what_a_generator_draws_from_the_day_pattern_the_parser_takes(text):
    assert parser_takes(parse_date, text), text


@API_CHECKS
@given(text=near_moments())
def test_the_moment_pattern_and_the_api_agree(admin_client, parameters, text):
    ok = bool(re.search(MOMENT_PATTERN, text))
    assert disagreements(admin_client, parameters, [("created_from", text, ok)]) == []


# --- moments --------------------------------------------------------------------------------------

GOOD_MOMENTS = [
    "2025-12-27T18:17:09Z", "2025-12-27T18:17:09.771123Z", "2025-12-27 18:17", "2025-12-27T18",
    "2025-12-27T1817", "2025-12-27T181709", "2025-12-27T181709.5", "2025-12-27T18:17:09,5",
    "2025-12-27T18:17:09.123456789+03:30", "2025-12-27T18:17+0330", "2025-12-27T18:17-05",
    "2025-12-27T18Z", "2025-12-27T23:59:59-00:00", "2025-12-27T00:00+23:59", "2025/12/27T10:00",
    "1403-12-30T12:00:00Z", "۱۴۰۳-۱۲-۳۰T۱۱:۵۹:۵۹Z", "٢٠٢٥-١٢-٢٧T١٠:٣٠+٠٣:٣٠",
    " 2025-12-27T10:00Z ", "0001-01-01T00:00+05:00", "9999-12-31T23:59-05:00",
    "2024-02-29T12:00",
]  # fmt: skip
BAD_MOMENTS = [
    "2025-12-27T24:00", "2025-12-27T10:60", "2025-12-27T10:30:60", "2025-12-27T10.5",
    "2025-12-27T10:30.5", "2025-12-27T10:3000", "2025-12-27T1030:00", "2025-12-27T10:30+24:00",
    "2025-12-27T10:30+03:60", "2025-12-27T10:30+03:30:15", "2025-12-27T10:30+3:30",
    "2025-12-27T10:30+033", "2025-12-27T10:30:00.Z", "2025-12-27T10:30:00 Z",
    "2025-12-27t10:30", "2025-12-27T10:30z", "2025-12-27  10:30", "2025-12-27T",
    "2025-12-27T1", "2025-12-27T103", "2025-12-27T10:30:00.", "2025-12-27T10:30Z+03:30",
    "2025-02-29T10:00", "1404-12-30T10:00", "2025-04-31 10:00", "2025-12-27T10:30:0",
    "2025-12-27T१०:३०", "2025-12-27T10:30\x00",
]  # fmt: skip


def test_every_moment_the_server_takes_the_pattern_admits(admin_client, parameters):
    cases = [(name, v, True) for v in GOOD_MOMENTS for name in MOMENT_FILTERS]
    # A day filter takes no time.
    cases += [(name, v, False) for v in GOOD_MOMENTS for name in DAY_FILTERS]
    assert disagreements(admin_client, parameters, cases) == []


def test_every_moment_the_server_refuses_the_pattern_refuses(admin_client, parameters):
    cases = [(name, v, False) for v in BAD_MOMENTS for name in MOMENT_FILTERS]
    assert disagreements(admin_client, parameters, cases) == []


def test_moments_mean_what_iso_8601_says():
    expected = datetime(2025, 12, 27, 10, 30, 15, 500000, tzinfo=UTC)
    assert parse_moment("2025-12-27T10:30:15,5Z")[0] == expected
    assert parse_moment("2025-12-27T103015.5Z")[0] == expected
    assert parse_moment("2025-12-27T10:30:15.5000009Z")[0].microsecond == 500000  # cut, not rounded
    assert parse_moment("2025-12-27T14:00+03:30")[0] == datetime(2025, 12, 27, 10, 30, tzinfo=UTC)
    assert parse_moment("2025-12-27T05-05")[0] == datetime(2025, 12, 27, 10, tzinfo=UTC)
    moment, date_only = parse_moment("۱۴۰۳/۱۲/۳۰")
    assert (moment.date(), date_only) == (date(2025, 3, 20), True)


@pytest.fixture
def two_orders():
    made = []
    for day in (1, 2):
        order = Order.objects.create()
        moment = datetime(2025, 2, day, 12, tzinfo=UTC)
        Order.objects.filter(pk=order.pk).update(created_at=moment, updated_at=moment)
        made.append(order.pk)
    return set(made)


def listed(client, **query) -> set[int]:
    response = client.get("/api/orders/", {"limit": 100, **query})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tehran", "America/Los_Angeles"])
def test_the_ends_of_the_calendar_are_before_or_after_every_order(
    admin_client, two_orders, settings, zone
):
    """Moments UTC cannot hold (near 0001-01-01 and 9999-12-31) were OverflowError 500s."""
    settings.TIME_ZONE = zone
    assert listed(admin_client, created_date="9999-12-31") == set()
    assert listed(admin_client, created_date="0001-01-01") == set()
    assert listed(admin_client, created_to="9999-12-31") == two_orders
    assert listed(admin_client, created_from="9999-12-31") == set()
    assert listed(admin_client, created_from="0001-01-01") == two_orders
    assert listed(admin_client, created_to="0001-01-01") == set()
    assert listed(admin_client, created_from="0001-01-01T00:00+05:00") == two_orders
    assert listed(admin_client, created_to="0001-01-01T00:00+05:00") == set()
    assert listed(admin_client, created_from="9999-12-31T23:59-05:00") == set()
    assert listed(admin_client, created_to="9999-12-31T23:59:59.999999-05:00") == two_orders


def test_a_blank_date_filters_nothing(admin_client, two_orders):
    for name in DAY_FILTERS + MOMENT_FILTERS:
        assert listed(admin_client, **{name: "  "}) == two_orders
        assert listed(admin_client, **{name: ""}) == two_orders


# --- coupon codes, labels -------------------------------------------------------------------------

GOOD_CODES = ["NOROOZ1405", "norooz1405", " spring-۱۴۰۵ ", "abc", "a" * 32, "A_B-C", "٠١٢",
              "\t" + "Z" * 32 + "\u3000", "", "   ", "\n"]  # fmt: skip
BAD_CODES = ["ab", "a" * 33, "no spaces", "ab!", "ßab", "abc\x00", "ａｂｃ", "१२३", "a b c",
             "\ufeffabc", "abc\u200c"]  # fmt: skip


def test_the_coupon_code_pattern_and_the_server_agree(admin_client, parameters):
    cases = [("coupon_code", v, True) for v in GOOD_CODES]
    cases += [("coupon_code", v, False) for v in BAD_CODES]
    assert disagreements(admin_client, parameters, cases) == []


TAGS = [("gift", True), (" gift ", True), ("a" * 50, True), (" " + "a" * 50 + "\n", True),
        ("هدیه ویژه", True), ("", True), ("  ", True), ("\ufeff", True), ("a" * 51, False),
        ("a" + " " * 49 + "b", False), ("\x00", False), ("a\x00b", False)]  # fmt: skip
TAG_LISTS = [("gift,urgent", True), ("a, b ", True), ("هدیه," + "x" * 80, True),
             ("a,,b", False), ("a, ", False), (",", False), ("a,\x00", False)]  # fmt: skip


TRACKING_NUMBERS = [("RR123456789IR", True), ("rr۱۲۳", True), (" " + "x" * 100 + "\t", True),
                    ("", True), ("  ", True), ("x" * 101, False), ("RR1\x00", False)]  # fmt: skip


def test_the_text_filter_patterns_and_the_server_agree(admin_client, parameters):
    cases = [("tag", v, ok) for v, ok in TAGS] + [("tag_in", v, ok) for v, ok in TAG_LISTS]
    cases += [("tracking_number", v, ok) for v, ok in TRACKING_NUMBERS]
    assert disagreements(admin_client, parameters, cases) == []


# --- integers, empty values -----------------------------------------------------------------------

INT64 = (-(2**63), 2**63 - 1)
INTEGERS = [
    ("customer", "1", True), ("customer", "۱۲", True), ("customer", " 7 ", True),
    ("customer", str(INT64[1]), True), ("customer", "0", False), ("customer", "-1", False),
    ("customer", str(2**63), False), ("customer", "1.0", False), ("customer", "1_000", False),
    ("customer", "१", False), ("customer", "1e3", False), ("customer_in", "1,2", True),
    ("customer_in", "1,2.0", False), ("customer_in", "0,1", False),
    ("id_min", str(INT64[0]), True), ("id_min", str(-(10**30)), True),
    ("total_max", str(10**30), True), ("total_min", "1.5", False),
    ("shipping_cost_min", "5.0", False), ("shipping_cost_min", "+5", True),
    ("limit", "1_0", False), ("limit", "۵", True), ("offset", "5.0", False),
]  # fmt: skip


def test_integers_are_whole_numbers_within_the_schema_bounds(admin_client, parameters):
    wrong = []
    for name, value, ok in INTEGERS:
        schema = parameters[name]["schema"]
        schema = schema.get("items", schema)
        assert schema["type"] == "integer", name
        for part in value.split(","):
            if ok and part.strip().isascii():  # the schema's bounds admit it too
                number = int(part)
                assert schema.get("minimum", number) <= number <= schema.get("maximum", number)
        response = admin_client.get("/api/orders/", {name: value})
        if response.status_code != (200 if ok else 400):
            wrong.append((name, value, response.status_code))
    assert wrong == []


def test_integer_bounds_are_in_the_schema(parameters):
    # A `*_min`/`*_max` bound takes any whole number (beyond a column's range it matches every
    # row or none, test_abuse.py); an id is 1 to 2**63 - 1.
    for name in ("id_min", "id_max", "total_min", "total_max", "shipping_cost_min"):
        assert parameters[name]["schema"] == {"type": "integer"}, name
    customer = parameters["customer"]["schema"]
    assert (customer["minimum"], customer["maximum"]) == (1, INT64[1])


def test_an_empty_value_is_taken_exactly_where_the_schema_allows_it(admin_client, served_schema):
    """`?status=` is the parameter not given on every filter, `search`, `ordering`, `limit` and
    `offset` (what an HTML form sends), and the schema says so with `allowEmptyValue`; a view's
    own extra parameter (the export's `rows`, the feed's `cursor`) that refuses an empty value
    does not say it."""
    wrong, allowed = [], 0
    for path, item in served_schema["paths"].items():
        operation = item.get("get")
        if not operation or not operation["operationId"].endswith("_list") or "{" in path:
            continue
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            says = parameter.get("allowEmptyValue") is True
            allowed += says
            answer = admin_client.get(path, {parameter["name"]: ""})
            if (answer.status_code == 200) is not says:
                wrong.append((path, parameter["name"], says, answer.status_code))
    assert wrong == []
    assert allowed > 100
    orders = served_schema["paths"]["/api/orders/"]["get"]["parameters"]
    assert all(p.get("allowEmptyValue") for p in orders if p["in"] == "query")


# --- the pattern builder --------------------------------------------------------------------------


def test_the_digit_helpers_cover_the_three_digit_sets():
    assert digit_class("0123456789") == "[0-9۰-۹٠-٩]"
    assert digit_class("01") == "[01۰۱٠١]"
    for text in ("۰۴", "٠٤", "04", "0۴"):  # mixed digit sets are still digits to the server
        assert re.fullmatch(digits_pattern(["04", "08", "12"]), text)
    assert not re.fullmatch(digits_pattern(["04", "08", "12"]), "05")
    assert set(WHITESPACE_CLASS) and all(
        (re.fullmatch(f"[{WHITESPACE_CLASS}]", chr(c)) is not None) is chr(c).isspace()
        for c in range(0x3001)
    )
