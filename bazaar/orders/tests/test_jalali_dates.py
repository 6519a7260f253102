"""SPEC §16: every date filter takes a Jalali (Solar Hijri) date, `-` or `/`, Latin or Persian
digits; a year from 1200 to 1599 is Jalali, with the calendar's real leap years."""

from datetime import UTC, date, datetime

import pytest

from bazaar.api.dates import parse_date
from bazaar.orders.models import Order

pytestmark = pytest.mark.django_db

DATE_FILTERS = ["created_date", "updated_date", "created_from", "created_to"]
DATE_FILTERS += ["updated_from", "updated_to"]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("1403-09-10", date(2024, 11, 30)),
        ("1403/09/10", date(2024, 11, 30)),
        ("۱۴۰۳/۰۹/۱۰", date(2024, 11, 30)),
        ("١٤٠٣-٠٩-١٠", date(2024, 11, 30)),
        ("1403-9-10", date(2024, 11, 30)),
        ("1403-12-30", date(2025, 3, 20)),  # 1403 is a leap year
        ("1404-01-01", date(2025, 3, 21)),
        ("1399-12-30", date(2021, 3, 20)),  # so is 1399
        ("1200-01-01", date(1821, 3, 21)),
        ("1599-12-29", date(2221, 3, 20)),
        ("2025-03-20", date(2025, 3, 20)),  # Gregorian outside 1200-1599
        ("2025/03/20", date(2025, 3, 20)),
        ("۲۰۲۵-۰۳-۲۰", date(2025, 3, 20)),
        ("1199-03-20", date(1199, 3, 20)),
        ("1600-03-20", date(1600, 3, 20)),
    ],
)
def test_parse_date(text, day):
    assert parse_date(text) == day


@pytest.mark.parametrize(
    "text",
    ["1404-12-30", "1403-13-01", "1403-00-10", "1403-07-31", "1403-01-32", "2025-02-29",
     "1403-09", "14030910", "1403.09.10", "۱۴۰۳/۰۹", "1403-09-10x", ""],
)  # fmt: skip
def test_impossible_dates_are_refused(text):
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.fixture
def orders():
    """Three orders, created and updated on 1403-12-29, 1403-12-30 and 1404-01-01 (UTC)."""
    made = {}
    for name, day in (("before", 19), ("leap", 20), ("after", 21)):
        order = Order.objects.create()
        moment = datetime(2025, 3, day, 12, tzinfo=UTC)
        Order.objects.filter(pk=order.pk).update(created_at=moment, updated_at=moment)
        made[name] = order.pk
    return made


def _ids(client, query: str) -> set[int]:
    response = client.get(f"/api/orders/?limit=100&{query}")
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("spelling", ["1403-12-30", "1403/12/30", "۱۴۰۳/۱۲/۳۰", "١٤٠٣-١٢-٣٠"])
def test_the_leap_day_in_every_date_filter(admin_client, orders, spelling):
    assert _ids(admin_client, f"created_date={spelling}") == {orders["leap"]}
    assert _ids(admin_client, f"updated_date={spelling}") == {orders["leap"]}
    assert _ids(admin_client, f"created_from={spelling}") == {orders["leap"], orders["after"]}
    assert _ids(admin_client, f"created_to={spelling}") == {orders["before"], orders["leap"]}
    assert _ids(admin_client, f"updated_from={spelling}") == {orders["leap"], orders["after"]}
    assert _ids(admin_client, f"updated_to={spelling}") == {orders["before"], orders["leap"]}


def test_a_jalali_date_with_a_time(admin_client, orders):
    assert _ids(admin_client, "created_from=1403-12-30T12:00:00Z") == {
        orders["leap"],
        orders["after"],
    }
    assert _ids(admin_client, "created_to=۱۴۰۳-۱۲-۳۰T11:59:59Z") == {orders["before"]}


def test_jalali_dates_are_read_in_the_configured_time_zone(admin_client, orders, settings):
    settings.TIME_ZONE = "Asia/Tehran"  # 2025-03-20T12:00Z is still 1403-12-30 in Tehran
    assert _ids(admin_client, "created_date=1403-12-30") == {orders["leap"]}


@pytest.mark.parametrize("parameter", DATE_FILTERS)
@pytest.mark.parametrize("value", ["1404-12-30", "1403-13-01", "۱۴۰۳-۰۷-۳۱", "1403-12-30T25:00"])
def test_a_date_that_does_not_exist_is_a_400_naming_the_filter(admin_client, parameter, value):
    if parameter.endswith("_date") and "T" in value:
        value = "1403-02-32"
    response = admin_client.get("/api/orders/", {parameter: value})
    assert response.status_code == 400, response.content
    assert parameter in response.json()
    assert "Jalali" in response.json()[parameter][0]


def test_the_schema_describes_jalali_dates(admin_client):
    schema = admin_client.get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/orders/"]["get"]["parameters"]}
    for name in DATE_FILTERS:
        assert "Jalali" in parameters[name]["description"], name
