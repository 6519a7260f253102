"""SPEC §2: every timestamp is ISO 8601 in UTC with microseconds and `Z`, whatever its zone."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import example, given
from hypothesis import strategies as st

from bazaar.api.serializers import iso_utc

zones = st.one_of(
    st.just(UTC),
    st.timezones(),
    st.integers(min_value=-14 * 60, max_value=14 * 60).map(
        lambda minutes: timezone(timedelta(minutes=minutes))
    ),
)


# The round trip is compared as an instant (subtraction), not with `==`: between zones `==` is
# always False for a moment whose offset depends on its `fold` (PEP 495), that is a wall time
# repeated or skipped by a DST change, even when both sides name the same instant. The two
# examples are such moments; the first is the one that once made a fresh clone's run fail.
@given(
    st.datetimes(timezones=zones, min_value=datetime(1900, 1, 2), max_value=datetime(9998, 1, 1))
)
@example(datetime(1942, 2, 9, 2, 0, tzinfo=ZoneInfo("America/Dawson")))
@example(datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")))
def test_any_aware_moment_is_written_in_utc_with_microseconds(moment):
    text = iso_utc(moment)
    assert text == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert datetime.fromisoformat(text) - moment == timedelta(0)


def test_whole_seconds_keep_their_six_zeros():
    assert iso_utc(datetime(2025, 12, 27, 18, 17, 9, tzinfo=UTC)) == "2025-12-27T18:17:09.000000Z"
    assert iso_utc(None) is None
