from datetime import UTC, datetime

from django.db import models
from rest_framework import serializers

from bazaar.api.parsers import json_nodes


def iso_utc(value: datetime | None) -> str | None:
    """SPEC §2: ISO 8601 in UTC with microseconds and `Z`, whatever TIME_ZONE is."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset():
        value = value.astimezone(UTC)
    # isoformat, not strftime: twice as fast, and a page of orders formats some 900 of these.
    return value.isoformat(timespec="microseconds")[:-6] + "Z"


class UTCDateTimeField(serializers.DateTimeField):
    def to_representation(self, value):
        return iso_utc(value)


NUL_MESSAGE = "Null characters are not allowed."  # DRF's own wording for CharField


def contains_nul(value) -> bool:
    """A NUL character in a string, or in any key or string nested in lists and dicts."""
    return any(isinstance(node, str) and "\x00" in node for node, _depth in json_nodes(value))


class StrictFieldsMixin:
    """A body field that the serializer does not know is a 400 naming it (catches typos such as
    `shiping_cost`). Read-only fields sent back are ignored, so a GET body can be PUT back.

    A NUL character anywhere in a field's value (JSON fields and lists included, not only the
    text fields DRF checks) is a 400 naming the field: PostgreSQL can store NUL neither in text
    nor in jsonb, and SQLite would, so refusing it up front keeps both databases alike."""

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
            with_nul = sorted(
                key
                for key in data
                if key in self.fields
                # nested serializers check their own fields and name them
                and not isinstance(self.fields[key], serializers.BaseSerializer)
                and contains_nul(data[key])
            )
            if with_nul:
                raise serializers.ValidationError({key: [NUL_MESSAGE] for key in with_nul})
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
