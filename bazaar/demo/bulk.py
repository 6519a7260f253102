"""Inserting rows as plain tuples, for loads where Django's `bulk_create` is the bottleneck.

`bulk_create` builds a model instance per row and prepares every value of every row through the
field API: measured here at about 1 600 orders a second with their items and payments, which
makes 100 000 orders take over a minute. These helpers hand tuples straight to the driver:
`executemany` on SQLite (a C loop) and `COPY ... FROM STDIN` on PostgreSQL.

The caller passes values in their database form: JSON already serialised (`json_text`), datetimes
through `datetime_adapter()`. Ids of the rows that others point at are reserved up front
(`reserve_ids`) instead of read back, so children can be written in the same pass.
Only SQLite and PostgreSQL are supported, the two databases the project runs on.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models


def datetime_adapter() -> Callable[[datetime], Any]:
    """A function that turns an aware datetime into what the database driver takes: Django's own
    conversion on SQLite (naive UTC text), the datetime itself on PostgreSQL. Looked up once per
    load: the per-call lookup of the connection cost more than the conversion."""
    if connection.vendor == "sqlite":
        return connection.ops.adapt_datetimefield_value
    return _unchanged


def _unchanged(value: datetime) -> datetime:
    return value


def json_text(value: Any) -> str:
    """A JSONField value in its stored form, serialised as Django's JSONField does it."""
    return json.dumps(value)


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` primary keys that no other writer will use, for rows about to be inserted.

    PostgreSQL: drawn from the table's identity sequence, safe beside concurrent writers.
    SQLite: the next free ids; safe because the caller is in a transaction, and the project's
    SQLite transactions start with BEGIN IMMEDIATE, which holds the database's write lock.
    """
    if count == 0:
        return []
    table = model._meta.db_table
    pk_column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk_column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        if connection.vendor == "sqlite":
            if not connection.in_atomic_block:
                raise RuntimeError("reserve_ids needs a transaction on SQLite")
            # AUTOINCREMENT tables never reuse an id, even a deleted one: start above both the
            # largest id present and the largest ever handed out (sqlite_sequence).
            quoted = connection.ops.quote_name(table)
            cursor.execute(
                f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "  # noqa: S608 - table name from model metadata
                f"coalesce((SELECT max({connection.ops.quote_name(pk_column)}) FROM {quoted}), 0))",
                [table],
            )
            start = cursor.fetchone()[0]
            return list(range(start + 1, start + count + 1))
    raise NotImplementedError(f"bulk loading is not supported on {connection.vendor}")


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert `rows` (tuples of values in the order of `fields`, by attname) into the model's
    table. Fields left out must be nullable or have a database default."""
    columns = _columns(model, fields)
    table = connection.ops.quote_name(model._meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            count = 0
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        if connection.vendor == "sqlite":
            rows = list(rows)
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})",  # noqa: S608 - names from model metadata
                rows,
            )
            return len(rows)
    raise NotImplementedError(f"bulk loading is not supported on {connection.vendor}")


def _columns(model: type[models.Model], fields: Sequence[str]) -> list[str]:
    """Column names for the attnames; refuses to leave out a column the insert would need, so a
    field added to the model later fails here with its name, not as an IntegrityError."""
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    unknown = [name for name in fields if name not in by_attname]
    if unknown:
        raise ValueError(f"{model.__name__} has no fields {unknown}")
    missing = [
        f.attname
        for f in model._meta.concrete_fields
        if f.attname not in fields
        and not f.primary_key
        and not f.null
        and f.db_default is models.NOT_PROVIDED
        and not f.generated  # computed by the database (the folded search_text columns)
    ]
    if missing:
        raise ValueError(f"{model.__name__} rows need values for {missing}")
    return [by_attname[name].column for name in fields]
