"""Statements PostgreSQL plans once per connection, for the fixed SQL of the hottest reads.

Django binds parameters on the client and keeps psycopg's prepared statements off (for
connection poolers), so each query is parsed and planned anew: for the order read path's
fixed statements (`bazaar.api.rows.RowQuery`) planning cost more than executing (a page of
100 orders: ~0.3-2 ms of planning per statement against ~1 ms of execution). A statement
executed through `prepared_cursor` is bound on the server and prepared on first use; the
same text on the same connection reuses the plan. PostgreSQL re-plans by itself when a table
it reads changes. The connections are made to prepare only when asked and to keep one
plan per statement (`bazaar.settings.database_settings`). Behind PgBouncer in transaction
mode (`DATABASE_BEHIND_PGBOUNCER`) a statement prepared on one server connection does not
exist on the next, so there this is the ordinary cursor.
"""

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from functools import cache, lru_cache
from typing import Any

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

# The parsed statements kept (each a few kilobytes): this module's callers send a few dozen texts.
PARSED_STATEMENTS_KEPT = 256


@cache  # built on first use: importing the PostgreSQL backend needs psycopg
def _prepared_cursor_classes() -> tuple[type, type]:
    from django.db.backends.postgresql.base import CursorDebugWrapper, ServerBindingCursor
    from psycopg import _queries

    class FixedTextQuery(_queries.PostgresQuery):
        """psycopg parses a statement's `%s` placeholders into `$1` ones and keeps the result
        only for texts under 4 KB (an ORM's long statements are seldom sent twice). The texts
        sent here are fixed, written once per process, and the longest are the hottest (an
        order's document, 14 KB with its stored answer: ~4 % of a keyed write's time parsed
        anew each time), so each is parsed once."""

        parsed = staticmethod(lru_cache(maxsize=PARSED_STATEMENTS_KEPT)(_queries._query2pg_nocache))

        def convert(self, query, vars):
            if vars is None or not isinstance(query, str | bytes):
                return super().convert(query, vars)
            query = self._ensure_bytes(query)
            self.query, self._want_formats, self._order, self._parts = self.parsed(
                query, self._tx.encoding
            )
            self.dump(vars)
            return None

    class PreparedCursor(ServerBindingCursor):
        _query_cls = FixedTextQuery

        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    class PreparedDebugWrapper(CursorDebugWrapper):
        """Logs (and `django_assert_num_queries` shows) the statement with its values, as for
        every other query; Django's way of finding it does not know prepared statements."""

        def debug_sql(self, sql=None, params=None, use_last_executed_query=False, many=False):
            if use_last_executed_query and not many:
                sql, use_last_executed_query = self.db.ops.compose_sql(sql, params), False
            return super().debug_sql(sql, params, use_last_executed_query, many)

    return PreparedCursor, PreparedDebugWrapper


@contextmanager
def prepared_cursor(connection: BaseDatabaseWrapper) -> Iterator[CursorWrapper]:
    """A cursor of `connection` (Django's wrapper: the query is logged, counted and its errors
    translated as any other) whose statements are prepared on PostgreSQL."""
    if connection.vendor != "postgresql" or settings.DATABASE_BEHIND_PGBOUNCER:
        with connection.cursor() as cursor:
            yield cursor
        return
    cursor_class, debug_wrapper = _prepared_cursor_classes()
    # What `connection.cursor()` does first: the once-per-request health check
    # (CONN_HEALTH_CHECKS), so a connection cut while the worker was idle is replaced rather
    # than failing this request, then the connection, with errors as Django's.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = cursor_class(connection.connection)
    cursor = (
        debug_wrapper(raw, connection) if connection.queries_logged else connection.make_cursor(raw)
    )
    with cursor:
        yield cursor


def fetch_together(
    connection: BaseDatabaseWrapper, statements: Sequence[tuple[str, Sequence[Any]]]
) -> list[list[tuple]]:
    """Every statement's rows, the statements prepared as `prepared_cursor` prepares them. On
    PostgreSQL they are sent together in one psycopg pipeline: one round trip for all instead of
    one each (the five nested reads of a page of orders: ~2.4 -> ~1.9 ms). Elsewhere, and behind
    PgBouncer (whose transaction pooling may not keep a pipeline on one server connection), one
    after another. Each is still one query to Django: logged, counted, its errors translated."""
    import psycopg

    if (
        len(statements) < 2
        or connection.vendor != "postgresql"
        or settings.DATABASE_BEHIND_PGBOUNCER
        or not psycopg.Pipeline.is_supported()
    ):
        fetched = []
        for sql, params in statements:
            with prepared_cursor(connection) as cursor:
                cursor.execute(sql, params)
                fetched.append(cursor.fetchall())
        return fetched
    with ExitStack() as cursors_open:
        cursors = [cursors_open.enter_context(prepared_cursor(connection)) for _ in statements]
        # The pipeline's end waits for the server (and raises its errors), outside any cursor's
        # own translation of errors: translated here too.
        with connection.wrap_database_errors, connection.connection.pipeline():
            for cursor, (sql, params) in zip(cursors, statements, strict=True):
                cursor.execute(sql, params)
            return [cursor.fetchall() for cursor in cursors]
