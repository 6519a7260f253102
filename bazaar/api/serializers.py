from datetime import UTC, datetime

from django.db import models
from django.http import QueryDict
from rest_framework import relations, serializers

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


WHOLE_NUMBER = "A whole number is required."


def json_type_error(field: serializers.Field, value) -> str | dict[int, list[str]] | None:
    """Why a parsed JSON value is of the wrong JSON type for `field`, or None.

    JSON bodies carry real types, and the schema gives each field its type (SPEC §2: the real type
    of each field). DRF would read `12` as the text "12" and `"true"` as a boolean; a client
    sending those has a bug that a 400 shows at once, as the schema promises. (Only multipart
    uploads, whose every value is text, are read DRF's lenient way.)"""
    if value is None:
        return None  # allow_null decides, with DRF's own message
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Must be a JSON boolean (true or false)."
    if isinstance(field, serializers.IntegerField | relations.RelatedField):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return WHOLE_NUMBER
        return None
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "Must be a JSON number."
        return None
    if isinstance(field, serializers.ChoiceField):
        if all(isinstance(key, str) for key in field.choices) and not isinstance(value, str):
            return "Must be a JSON string."
        return None
    if isinstance(field, serializers.CharField):
        return None if isinstance(value, str) else "Must be a JSON string."
    if isinstance(field, serializers.ListField | serializers.ListSerializer):
        if not isinstance(value, list):
            return "Must be a JSON array."
        child = field.child
        if isinstance(child, serializers.BaseSerializer):
            return None
        # DRF's shape for a list's entries: {index: [message]}.
        wrong = {i: [p] for i, item in enumerate(value) if (p := json_type_error(child, item))}
        return wrong or None
    if isinstance(field, relations.ManyRelatedField):
        return None if isinstance(value, list) else "Must be a JSON array."
    if isinstance(field, serializers.BaseSerializer):
        return None if isinstance(value, dict) else "Must be a JSON object."
    return None


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
            if not isinstance(data, QueryDict):  # a JSON body: its values have real types
                wrong = {
                    key: problem if isinstance(problem, dict) else [problem]
                    for key in sorted(data)
                    if key in self.fields
                    and not self.fields[key].read_only
                    and (problem := json_type_error(self.fields[key], data[key]))
                }
                if wrong:
                    # Reported together with the other fields' errors, as DRF reports them.
                    rest = {key: value for key, value in data.items() if key not in wrong}
                    try:
                        super().to_internal_value(rest)
                    except serializers.ValidationError as exc:
                        if isinstance(exc.detail, dict):
                            raise serializers.ValidationError({**exc.detail, **wrong}) from None
                    raise serializers.ValidationError(wrong)
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
