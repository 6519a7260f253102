"""SPEC §2: every timestamp is ISO 8601 in UTC with microseconds and `Z`, whatever its zone."""

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from bazaar.api.serializers import iso_utc

zones = st.one_of(
    st.just(UTC),
    st.timezones(),
    st.integers(min_value=-14 * 60, max_value=14 * 60).map(
        lambda minutes: timezone(timedelta(minutes=minutes))
    ),
)


@given(
    st.datetimes(timezones=zones, min_value=datetime(1900, 1, 2), max_value=datetime(9998, 1, 1))
)
def test_any_aware_moment_is_written_in_utc_with_microseconds(moment):
    text = iso_utc(moment)
    assert text == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert datetime.fromisoformat(text) == moment


def test_whole_seconds_keep_their_six_zeros():
    assert iso_utc(datetime(2025, 12, 27, 18, 17, 9, tzinfo=UTC)) == "2025-12-27T18:17:09.000000Z"
    assert iso_utc(None) is None
