"""Plain rows read by SQL written once per process, for the hottest reads (the order read path).

Why not `QuerySet.values()`: for a page of 100 orders the ORM spent more time compiling SQL
(about 2.4 ms for the page query alone) and converting each value (a JSON column parsed by
`json.loads` through `from_db_value`, say) than PostgreSQL spent answering (docs/performance.md,
issue 19). A `RowQuery` names the same columns `values()` would, by model field (so a renamed
column changes its SQL too), is compiled to SQL once per database vendor and read through the
connection the router picks, and gives dicts keyed exactly as `values()` keys them.

Rows are matched by a list of ids in one parameter (`= ANY(%s::bigint[])` on PostgreSQL, one
statement text whatever the number of ids; `json_each` on SQLite).

On PostgreSQL a JSON column named in `raw_json` is not parsed: its value is the database's own
text as an `orjson.Fragment`, which the renderer writes as it is (the same text the order
documents hold, `bazaar.orders.documents`). Parsing a page's 670 JSON values and writing them
again was a fifth of the list's time in Python (docs/performance-analysis.md).
"""

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

import orjson
from django.db import connections, router
from django.db.models import Field, Model

from bazaar.api.functions import utc_timestamp_sql
from bazaar.db.prepared import fetch_together

Row = dict[str, Any]
# The range of PostgreSQL's bigint, which every primary key here is.
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


def load_json(text: str | None) -> Any:
    """A JSON column's text as Python values; orjson, or the standard library for what orjson
    refuses (an integer past 64 bits, or NaN that SQLite's JSON field may hold)."""
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _nullable(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else convert(value)


def ids_match(vendor: str, column: str) -> str:
    if vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])"
    return f"{column} IN (SELECT value FROM json_each(%s))"  # noqa: S608 (a column name)


def ids_param(vendor: str, ids: Sequence[int]) -> Any:
    """The ids as one parameter of `ids_match`: on PostgreSQL the array's text (`{1,2,3}`),
    which psycopg sends as it is, where a list is adapted element by element in Python (~1 ms
    for the six reads of a page of 100 orders). An id past bigint is no row's, and is left out
    rather than failing the cast."""
    if vendor == "postgresql":
        values = list(map(int, ids))
        if values and (min(values) < BIGINT_MIN or max(values) > BIGINT_MAX):
            values = [pk for pk in values if BIGINT_MIN <= pk <= BIGINT_MAX]
        return "{" + ",".join(map(str, values)) + "}"
    return json.dumps(list(ids))


@dataclass(frozen=True)
class RowQuery:
    """Rows of `model` (table alias `alias`) with `columns`: a field name (`"notes"`), a field of
    a row it points to or of a row pointing to it (`"customer__username"`, `"items__quantity"`,
    LEFT JOINed once per relation), and `timestamps`: a key and the timestamp field it writes in
    SPEC §2's form. `order_by`: columns in the same notation, ascending. `raw_json`: JSON
    columns passed through as their text on PostgreSQL (see above). `pg_columns`: columns
    that PostgreSQL computes, `(name, SQL expression)`; the expressions' `%s` parameters are
    `read`'s `params`."""

    model: type[Model]
    alias: str
    columns: tuple[str, ...]
    timestamps: tuple[tuple[str, str], ...] = ()
    order_by: tuple[str, ...] = ("id",)
    raw_json: tuple[str, ...] = ()
    pg_columns: tuple[tuple[str, str], ...] = ()
    _sql: dict[tuple[str, str], str] = field(default_factory=dict, compare=False, repr=False)
    _converter_cache: dict[str, tuple] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def _joins(self) -> dict[str, tuple[str, type[Model], str]]:
        """relation -> (alias, related model, the JOIN clause)."""
        joins: dict[str, tuple[str, type[Model], str]] = {}
        opts = self.model._meta
        for name in (*self.columns, *self.order_by):
            if "__" not in name:
                continue
            relation = name.split("__", 1)[0]
            if relation in joins:
                continue
            link = opts.get_field(relation)
            related = link.related_model
            alias = f"{self.alias}_{len(joins)}"
            table = related._meta.db_table
            if link.many_to_one:  # a foreign key of this row
                on = f"{alias}.{link.target_field.column} = {self.alias}.{link.column}"
            else:  # rows pointing to this one (a reverse foreign key)
                key = link.field  # the foreign key of the rows pointing here
                on = f"{alias}.{key.column} = {self.alias}.{key.target_field.column}"
            joins[relation] = (alias, related, f'LEFT JOIN "{table}" {alias} ON {on}')
        return joins

    def _alias_and_field(self, name: str) -> tuple[str, Field]:
        if "__" in name:
            relation, attribute = name.split("__", 1)
            alias, model, _join = self._joins[relation]
        else:
            alias, model, attribute = self.alias, self.model, name
        return alias, model._meta.get_field(attribute)  # a foreign key by its attname ("x_id")

    def _field(self, name: str) -> Field:
        return self._alias_and_field(name)[1]

    def _column(self, name: str) -> tuple[str, str]:
        """(SQL expression, internal type) of a column in the `columns` notation."""
        alias, found = self._alias_and_field(name)
        return f"{alias}.{found.column}", found.get_internal_type()

    def _converters(self, vendor: str) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
        """(position, function) of the columns whose database value `values()` would convert:
        JSON text everywhere; on SQLite, booleans (0/1) and decimals (floats) too, where
        psycopg gives PostgreSQL's booleans and numerics as Python's already."""
        converters = self._converter_cache.get(vendor)
        if converters is None:
            found = []
            for position, name in enumerate(self.columns):
                column = self._field(name)
                internal = column.get_internal_type()
                if internal == "JSONField":
                    raw = vendor == "postgresql" and name in self.raw_json
                    found.append((position, _nullable(orjson.Fragment) if raw else load_json))
                elif vendor != "sqlite":
                    continue
                elif internal == "BooleanField":
                    found.append((position, _nullable(bool)))
                elif internal == "DecimalField":
                    step = Decimal(1).scaleb(-column.decimal_places)
                    found.append(
                        (position, _nullable(lambda v, s=step: Decimal(repr(v)).quantize(s)))
                    )
            converters = self._converter_cache[vendor] = tuple(found)
        return converters

    @cached_property
    def keys(self) -> tuple[str, ...]:
        return (*self.columns, *(key for key, _column in self.timestamps))

    def _select(self, vendor: str) -> str:
        parts = []
        computed = dict(self.pg_columns) if vendor == "postgresql" else {}
        for name in self.columns:
            column, internal = self._column(name)
            column = computed.get(name, column)
            if internal == "JSONField" and vendor == "postgresql":
                column = f"{column}::text"
            parts.append(column)
        for _key, timestamp in self.timestamps:
            parts.append(utc_timestamp_sql(vendor, self._column(timestamp)[0]))
        return ", ".join(parts)

    def sql(self, vendor: str, match: str) -> str:
        """The statement for rows whose `match` column (same notation) is in the ids given;
        built once per vendor and match."""
        sql = self._sql.get((vendor, match))
        if sql is None:
            joins = "".join(f" {join}" for _alias, _model, join in self._joins.values())
            order = ", ".join(self._column(name)[0] for name in self.order_by)
            sql = self._sql[vendor, match] = (
                f"SELECT {self._select(vendor)} "  # noqa: S608 (model metadata, no input)
                f'FROM "{self.model._meta.db_table}" {self.alias}{joins} '
                f"WHERE {ids_match(vendor, self._column(match)[0])} ORDER BY {order}"
            )
        return sql

    def read(self, match: str, ids: Iterable[int], params: Sequence[Any] = ()) -> "Read":
        """The read of `rows(match, ids)`, to send with others (`read_together`)."""
        ids = list(ids)
        alias = router.db_for_read(self.model)
        if not ids:
            return Read(alias, None, (), lambda _fetched: [])
        vendor = connections[alias].vendor
        before = tuple(params) if vendor == "postgresql" and self.pg_columns else ()
        return Read(
            alias,
            self.sql(vendor, match),
            (*before, ids_param(vendor, ids)),
            lambda fetched: self._load(fetched, vendor),
        )

    def rows(self, match: str, ids: Iterable[int], params: Sequence[Any] = ()) -> list[Row]:
        """The rows whose `match` column is one of `ids`, in `order_by`'s order."""
        return read_together([self.read(match, ids, params)])[0]

    def _load(self, fetched: list[tuple], vendor: str) -> list[Row]:
        keys, converters = self.keys, self._converters(vendor)
        if not converters:
            return [dict(zip(keys, row, strict=True)) for row in fetched]
        rows = []
        for values in fetched:
            values = list(values)
            for position, convert in converters:
                values[position] = convert(values[position])
            rows.append(dict(zip(keys, values, strict=True)))
        return rows

    def rows_in_order(self, ids: Sequence[int]) -> list[Row]:
        """The rows of these primary keys, in the order of `ids` (those that exist)."""
        return in_order(self.rows("id", ids), ids)


def in_order(rows: Iterable[Row], ids: Sequence[int]) -> list[Row]:
    """`rows` (each with an "id") in the order of `ids`, those of them that exist."""
    by_id = {row["id"]: row for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


@dataclass(frozen=True)
class Read:
    """One statement of a read path (None: nothing to ask, no row) on the connection `alias`,
    and what makes its fetched rows the read's result."""

    alias: str
    sql: str | None
    params: Sequence[Any]
    load: Callable[[list[tuple]], Any]


def read_together(reads: Sequence[Read]) -> list[Any]:
    """Each read's result, in order; the statements of one connection are sent together
    (`bazaar.db.prepared.fetch_together`: one round trip on PostgreSQL)."""
    fetched: dict[int, list[tuple]] = {}
    for alias in {read.alias for read in reads if read.sql is not None}:
        mine = [(i, read) for i, read in enumerate(reads) if read.alias == alias and read.sql]
        rows = fetch_together(connections[alias], [(read.sql, read.params) for _i, read in mine])
        fetched.update((i, found) for (i, _read), found in zip(mine, rows, strict=True))
    return [read.load(fetched.get(i, [])) for i, read in enumerate(reads)]
