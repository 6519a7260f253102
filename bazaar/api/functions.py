"""Database functions shared by the apps' read paths."""

from django.db.models import Func, TextField

# A timestamp column as SPEC §2 writes it, by database vendor (`%(expressions)s`: the column).
UTC_TIMESTAMP_TEXT = {
    "postgresql": "to_char(%(expressions)s AT TIME ZONE 'UTC', "
    """'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
    # Django stores 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC; the fraction is absent when zero.
    "sqlite": "substr(%(expressions)s, 1, 10) || 'T' || substr(%(expressions)s, 12, 8) "
    "|| '.' || substr(%(expressions)s || '.000000', 21, 6) || 'Z'",
}


def utc_timestamp_sql(vendor: str, column: str) -> str:
    """`UTCTimestampText` for hand-written SQL: the expression that writes `column`."""
    return UTC_TIMESTAMP_TEXT[vendor] % {"expressions": column}


class UTCTimestampText(Func):
    """A timestamp column as SPEC §2 writes it, `2025-12-27T18:17:09.000000Z`, formatted by the
    database.

    Why in SQL: a page of 100 orders carries some 800 timestamps, and loading each into an aware
    `datetime` (psycopg through Django's time-zone loader) and formatting it again in Python
    cost about 6 ms per page, more than the database spent on the whole page."""

    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template=UTC_TIMESTAMP_TEXT["postgresql"], **extra_context
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template=UTC_TIMESTAMP_TEXT["sqlite"], **extra_context
        )
