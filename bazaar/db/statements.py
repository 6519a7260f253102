"""Django's own SQL for a model's UPDATE and INSERT, as text and parameters, so that several
writes can go to PostgreSQL as one statement (data-modifying CTEs): one round trip and one
statement instead of one per write. The SQL is what `Model.save(update_fields=…)` and
`bulk_create` would send, compiled by the same compilers (field adaptation included); what
those methods do around it (the model's save() logic, setting primary keys) is the caller's."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models
from django.db.models.sql import InsertQuery, UpdateQuery


def update_sql(
    instance: models.Model, fields: Iterable[str], *, using: str
) -> tuple[str, tuple[Any, ...]]:
    """`UPDATE <table> SET <fields> WHERE pk = …` for `instance`'s current values, as
    `_do_update` builds it for `save(update_fields=fields)` (each field's `pre_save` first)."""
    opts = instance._meta
    query = UpdateQuery(type(instance))
    query.add_update_fields(
        [(field, None, field.pre_save(instance, False)) for field in map(opts.get_field, fields)]
    )
    query.add_filter("pk", instance.pk)
    sql, params = query.get_compiler(using).as_sql()
    return sql, tuple(params)


def insert_sql(
    model: type[models.Model], objs: Sequence[models.Model], *, using: str, with_pk: bool = False
) -> tuple[str, tuple[Any, ...]]:
    """One multi-row `INSERT INTO <table> (…) VALUES (…), (…)` for `objs`, as `bulk_create`
    builds it: without their primary keys (the table gives them; the caller appends
    `RETURNING`), or `with_pk`, with the ones they carry."""
    fields = [
        field
        for field in model._meta.concrete_fields
        if not field.generated and (with_pk or not field.primary_key)
    ]
    query = InsertQuery(model)
    query.insert_values(fields, objs, raw=False)
    [(sql, params)] = query.get_compiler(using).as_sql()
    return sql, tuple(params)
