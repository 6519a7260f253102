"""Django's own SQL for a model's UPDATE and INSERT, as text and parameters, so that several
writes can go to PostgreSQL as one statement (data-modifying CTEs): one round trip and one
statement instead of one per write; and several querysets' first rows read in one statement
(`first_rows_together`). The SQL is what `Model.save(update_fields=…)` and
`bulk_create` would send, compiled by the same compilers (field adaptation included); what
those methods do around it (the model's save() logic, setting primary keys) is the caller's."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, models, router
from django.db.models import QuerySet
from django.db.models.sql import InsertQuery, UpdateQuery
from django.db.models.sql.compiler import SQLCompiler


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


def first_rows_together(*querysets: QuerySet) -> list[models.Model | None]:
    """The first row of each of `querysets` (on the first one's database), made as the queryset
    makes it (its `select_related` rows and its annotations included), or None for one that has
    none. On PostgreSQL they are read in one statement, each queryset's own compiled SQL as a
    LATERAL subquery (a row lock it takes, `select_for_update`, is taken as it would be alone);
    elsewhere one after another."""
    using = querysets[0].db
    if connections[using].vendor != "postgresql":
        return [queryset.first() for queryset in querysets]
    together = _Together.compile(querysets, using)
    return together.read(using, together.params)


@dataclass(frozen=True)
class _Together:
    """The one statement of `first_rows_together`, and what makes its row the instances."""

    sql: str
    params: tuple[Any, ...]
    compilers: tuple[SQLCompiler, ...]
    converters: tuple[dict, ...]

    @classmethod
    def compile(cls, querysets: Sequence[QuerySet], using: str) -> "_Together":
        compilers, parts, params = [], [], []
        for n, queryset in enumerate(querysets):
            compiler = queryset[:1].query.get_compiler(using)
            sql, sql_params = compiler.as_sql()
            compilers.append(compiler)
            parts.append(f"LEFT JOIN LATERAL ({sql}) AS q{n} ON true")
            params.extend(sql_params)
        columns = ", ".join(f"q{n}.*" for n in range(len(compilers)))
        return cls(
            f"SELECT {columns} FROM (SELECT) AS one {' '.join(parts)}",  # noqa: S608 (compiled)
            tuple(params),
            tuple(compilers),
            tuple(c.get_converters([e for e, _sql, _alias in c.select]) for c in compilers),
        )

    def read(self, using: str, params: Sequence[Any]) -> list[models.Model | None]:
        with connections[using].cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        found, start = [], 0
        for compiler, converters in zip(self.compilers, self.converters, strict=True):
            end = start + len(compiler.select)
            found.append(_instance(compiler, converters, list(row[start:end]), using))
            start = end
        return found


class RowsTogether:
    """`first_rows_together(*build(*values))`, its statement compiled by the ORM once per
    database instead of on every call: for the order's lock with its new item's product, the
    compilation cost more than the statement (about 1 ms of a write's Python, issue 19).

    `build` makes the querysets from the values that vary (ids); it is called once, with
    `slots`, values no real one equals, which are found again among the compiled parameters and
    replaced by each call's values. Every call's querysets are therefore the same but for those
    values, which `build` must not look at (no branching on them)."""

    def __init__(self, build: Callable[..., Sequence[QuerySet]], *, slots: Sequence[Any]):
        self.build, self.slots = build, tuple(slots)
        self._compiled: dict[str, tuple[_Together, tuple[tuple[int, int], ...]]] = {}
        self._routes: tuple[tuple[type[models.Model], bool], ...] | None = None

    def read(self, *values: Any) -> list[models.Model | None]:
        if self._routes is None:
            self._routes = tuple((q.model, q._for_write) for q in self.build(*self.slots))
        model, for_write = self._routes[0]
        using = router.db_for_write(model) if for_write else router.db_for_read(model)
        if connections[using].vendor != "postgresql":
            return [queryset.using(using).first() for queryset in self.build(*values)]
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        together, slots = compiled
        params = list(together.params)
        for at, value_index in slots:
            params[at] = values[value_index]
        return together.read(using, params)

    def _compile(self, using: str) -> tuple[_Together, tuple[tuple[int, int], ...]]:
        querysets = [queryset.using(using) for queryset in self.build(*self.slots)]
        together = _Together.compile(querysets, using)
        slots = []
        for value_index, slot in enumerate(self.slots):
            found = [at for at, param in enumerate(together.params) if param == slot]
            if len(found) != 1:
                raise RuntimeError(f"slot {slot!r} is {len(found)} parameters, not one")
            slots.append((found[0], value_index))
        return together, tuple(slots)


def _instance(
    compiler: SQLCompiler, converters: dict, row: list[Any], using: str
) -> models.Model | None:
    """The instance `compiler`'s query makes of `row` (its columns alone), as the ORM's model
    iterable makes it: values converted by the fields' and expressions' converters, the model
    and its `select_related` rows by `from_db`, annotations set as attributes."""
    connection = connections[using]  # this thread's: a compiled statement outlives its own
    for at, (functions, expression) in converters.items():
        value = row[at]
        for convert in functions:
            value = convert(value, expression, connection)
        row[at] = value
    instance = _from_klass_info(compiler, compiler.klass_info, row, using)
    if instance is not None:
        for name, at in compiler.annotation_col_map.items():
            setattr(instance, name, row[at])
    return instance


def _from_klass_info(
    compiler: SQLCompiler, info: dict[str, Any], row: list[Any], using: str
) -> models.Model | None:
    model = info["model"]
    at = info["select_fields"]
    names = [compiler.select[i][0].target.attname for i in at]
    values = [row[i] for i in at]
    if values[names.index(model._meta.pk.attname)] is None:
        return None  # no row (or no related row: a LEFT JOIN's NULLs)
    instance = model.from_db(using, names, values)
    for related in info.get("related_klass_infos", []):
        related_instance = _from_klass_info(compiler, related, row, using)
        related["local_setter"](instance, related_instance)
        if related_instance is not None:
            related["remote_setter"](related_instance, instance)
    return instance
