from django.db.models import Model, QuerySet
from rest_framework import serializers

from bazaar.api.fields import StrictIntegerField
from bazaar.api.limits import MAX_ID

# A serializer context key: the names of the RelatedIdFields to give as their (validated) ids,
# unread, for a write that reads those rows with others in one statement.
IDS_ONLY = "related_ids_only"


class RelatedIdField(serializers.RelatedField):
    """A related row written as its id, with messages that say what is wrong.

    `queryset` is every row of the kind; `usable` (optional) narrows it to the rows that may be
    chosen (active methods, customers rather than staff) and `unusable_message` says why another
    row of the kind is refused. A field named in the context's `IDS_ONLY` gives the id alone.
    """

    def __init__(
        self,
        *,
        queryset: QuerySet,
        usable: QuerySet | None = None,
        unusable_message: str = "",
        **kwargs,
    ) -> None:
        self.usable = usable
        self.unusable_message = unusable_message
        super().__init__(queryset=queryset, **kwargs)

    def to_internal_value(self, data) -> Model | int:
        pk = StrictIntegerField(min_value=1, max_value=MAX_ID).run_validation(data)
        if self.field_name in self.context.get(IDS_ONLY, ()):
            return pk  # the write reads the row itself (and refuses a missing one the same way)
        source = self.usable if self.usable is not None else self.get_queryset()
        row = source.filter(pk=pk).first()
        if row is not None:
            return row
        label = self.queryset.model._meta.verbose_name
        if self.usable is not None and self.get_queryset().filter(pk=pk).exists():
            raise serializers.ValidationError(self.unusable_message.format(id=pk, label=label))
        raise serializers.ValidationError(missing_row_message(self.queryset.model, pk))

    def to_representation(self, value: Model) -> int:
        return value.pk


def missing_row_message(model: type[Model], pk: int) -> str:
    return f"No {model._meta.verbose_name} with id {pk}."
