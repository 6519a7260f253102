from datetime import UTC, datetime

from django.db import models
from rest_framework import serializers


def iso_utc(value: datetime | None) -> str | None:
    """SPEC §2: ISO 8601 in UTC with microseconds and `Z`, whatever TIME_ZONE is."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class UTCDateTimeField(serializers.DateTimeField):
    def to_representation(self, value):
        return iso_utc(value)


class StrictFieldsMixin:
    """A body field that the serializer does not know is a 400 naming it (catches typos such as
    `shiping_cost`). Read-only fields sent back are ignored, so a GET body can be PUT back."""

    # Keys of the resource's response that an input-only serializer accepts and drops.
    read_only_keys: frozenset[str] = frozenset()

    def to_internal_value(self, data):
        if isinstance(data, dict):
            known = self.fields.keys() | self.read_only_keys
            unknown = sorted(key for key in data if key not in known)
            if unknown:
                raise serializers.ValidationError(
                    {key: ["Unknown field: this resource has no such field."] for key in unknown}
                )
        return super().to_internal_value(data)


class Serializer(StrictFieldsMixin, serializers.Serializer):
    pass


class ModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UTCDateTimeField,
    }


class PositionalErrorsListSerializer(serializers.ListSerializer):
    """List errors as a list aligned with the input, `{}` for the valid entries, so a client sees
    `{"items": [{}, {"product_code": ["..."]}]}` (SPEC §11) rather than DRF's index-keyed dict."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail
            if isinstance(detail, dict) and detail and all(isinstance(k, int) for k in detail):
                raise serializers.ValidationError(
                    [detail.get(index, {}) for index in range(len(data))]
                ) from None
            raise
