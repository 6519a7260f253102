"""`tags__has_tag` and `tags__has_any_tag`: an order's labels (a JSON list of strings) contain
one label, or any of several (SPEC §12 `tag`, `tag_in`).

PostgreSQL: jsonb's `?` / `?|` operators (a top-level string element), which the GIN index of
migration 0008 answers. SQLite: the list's elements through json_each(). Django's own `has_key`
means an object's key on SQLite, and `contains` is not supported there, hence these."""

from django.db.models import JSONField, Lookup


class _TagLookup(Lookup):
    prepare_rhs = False  # the label itself, not the JSON encoding of it

    def get_db_prep_lookup(self, value, connection):
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        return ("%s", [str(v) for v in values])


@JSONField.register_lookup
class HasTag(_TagLookup):
    lookup_name = "has_tag"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return (
            f"EXISTS (SELECT 1 FROM json_each({lhs}) AS tag WHERE tag.value = %s)",  # noqa: S608 (lhs is a column)
            [*lhs_params, str(self.rhs)],
        )

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"({lhs} ? %s)", [*lhs_params, str(self.rhs)]


@JSONField.register_lookup
class HasAnyTag(_TagLookup):
    lookup_name = "has_any_tag"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        labels = [str(label) for label in self.rhs]
        marks = ", ".join(["%s"] * len(labels))
        return (
            # lhs is a column, marks are placeholders
            f"EXISTS (SELECT 1 FROM json_each({lhs}) AS tag WHERE tag.value IN ({marks}))",  # noqa: S608
            [*lhs_params, *labels],
        )

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"({lhs} ?| %s::text[])", [*lhs_params, [str(label) for label in self.rhs]]
