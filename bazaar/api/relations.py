from django.db.models import Model, QuerySet
from rest_framework import serializers

from bazaar.api.fields import StrictIntegerField
from bazaar.api.limits import MAX_ID


class RelatedIdField(serializers.RelatedField):
    """A related row written as its id, with messages that say what is wrong.

    `queryset` is every row of the kind; `usable` (optional) narrows it to the rows that may be
    chosen (active methods, customers rather than staff) and `unusable_message` says why another
    row of the kind is refused.
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

    def to_internal_value(self, data) -> Model:
        pk = StrictIntegerField(min_value=1, max_value=MAX_ID).run_validation(data)
        source = self.usable if self.usable is not None else self.get_queryset()
        row = source.filter(pk=pk).first()
        if row is not None:
            return row
        label = self.queryset.model._meta.verbose_name
        if self.usable is not None and self.get_queryset().filter(pk=pk).exists():
            raise serializers.ValidationError(self.unusable_message.format(id=pk, label=label))
        raise serializers.ValidationError(f"No {label} with id {pk}.")

    def to_representation(self, value: Model) -> int:
        return value.pk
