"""The token lookup of every authenticated request, as SQL compiled once per database.

knox looks a token up by its key prefix with its user (`select_related`); compiling that
query cost more than running it (0.65 ms against 0.25 ms a request, issue 19). The query is
compiled by the ORM once per database alias, with the key as its one parameter, and its rows
are made into the same instances the ORM makes (its own converters, `Model.from_db`), so
revocation and deactivation are seen at once, as before: nothing is cached but the SQL (and,
on PostgreSQL, its plan: `bazaar.db.prepared`).
"""

from typing import Any

from django.db import connections
from django.db.models import Model
from knox.models import get_token_model

from bazaar.db.prepared import prepared_cursor

_KEY = "\x00token-key\x00"  # a value no key has, found again among the compiled parameters
_compiled: dict[str, tuple[str, tuple[Any, ...], int, list, int]] = {}


def _compile(alias: str) -> tuple[str, tuple[Any, ...], int, list, int]:
    token_model = get_token_model()
    queryset = token_model.objects.using(alias).filter(token_key=_KEY).select_related("user")
    compiler = queryset.query.get_compiler(alias)
    sql, params = compiler.as_sql()
    token_columns = len(token_model._meta.concrete_fields)
    user_model = token_model._meta.get_field("user").related_model
    if len(compiler.select) != token_columns + len(user_model._meta.concrete_fields):
        raise RuntimeError("the token query does not select the token and its user alone")
    columns = [column for column, _sql, _alias in compiler.select]
    converters = list(compiler.get_converters(columns).items())
    return sql, tuple(params), list(params).index(_KEY), converters, token_columns


def tokens_with_key(alias: str, token_key: str) -> list[Model]:
    """The tokens (with their users) whose key prefix is `token_key`, on database `alias`."""
    compiled = _compiled.get(alias)
    if compiled is None:
        compiled = _compiled[alias] = _compile(alias)
    sql, params, position, converters, token_columns = compiled
    params = (*params[:position], token_key, *params[position + 1 :])
    connection = connections[alias]
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    token_model = get_token_model()
    user_model = token_model._meta.get_field("user").related_model
    token_names = [f.attname for f in token_model._meta.concrete_fields]
    user_names = [f.attname for f in user_model._meta.concrete_fields]
    tokens = []
    for fetched in rows:
        row = list(fetched)
        for at, (functions, expression) in converters:
            for convert in functions:
                row[at] = convert(row[at], expression, connection)
        token = token_model.from_db(alias, token_names, row[:token_columns])
        token.user = user_model.from_db(alias, user_names, row[token_columns:])
        tokens.append(token)
    return tokens
