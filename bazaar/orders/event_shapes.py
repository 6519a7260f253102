"""The order event's API shape (SPEC §13), its schema declaration, and the staff note's input."""

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers

from bazaar.api.functions import UTCTimestampText
from bazaar.api.serializers import Serializer
from bazaar.orders.models import EventType, OrderEvent

MAX_NOTE = 5_000

EVENT_ROW: tuple[str, ...] = (
    "id", "type", "actor_id", "actor__username", "request_id", "changes", "item_id",
    "payment_id", "shipment_id", "refund_id", "note",
)  # fmt: skip


def event_rows(queryset: QuerySet[OrderEvent]) -> QuerySet[OrderEvent, dict[str, Any]]:
    """Oldest first; a page (a sliced queryset) keeps the order it was sliced in."""
    if not queryset.query.is_sliced:
        queryset = queryset.order_by("id")
    return queryset.values(*EVENT_ROW, at_text=UTCTimestampText("at"))


def event_data(row: dict[str, Any]) -> dict[str, Any]:
    actor = (
        None
        if row["actor_id"] is None
        else {"id": row["actor_id"], "username": row["actor__username"]}
    )
    return {
        "id": row["id"],
        "type": row["type"],
        "actor": actor,
        "at": row["at_text"],
        "request_id": row["request_id"] or None,
        "changes": row["changes"],
        "item": row["item_id"],
        "payment": row["payment_id"],
        "shipment": row["shipment_id"],
        "refund": row["refund_id"],
        "note": row["note"],
    }


class ActorSerializer(Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class OrderEventSerializer(Serializer):
    id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=EventType.choices)
    actor = ActorSerializer(allow_null=True, help_text="Who made the change; null: the system.")
    at = serializers.DateTimeField()
    request_id = serializers.CharField(allow_null=True, help_text="The X-Request-ID of the write.")
    changes = serializers.DictField(
        child=serializers.ListField(min_length=2, max_length=2, allow_null=True),
        help_text="{field: [old, new]}: only what changed.",
    )
    item = serializers.IntegerField(allow_null=True)
    payment = serializers.IntegerField(allow_null=True)
    shipment = serializers.IntegerField(allow_null=True)
    refund = serializers.IntegerField(allow_null=True)
    note = serializers.CharField(allow_blank=True)


class OrderNoteSerializer(Serializer):
    note = serializers.CharField(min_length=1, max_length=MAX_NOTE, trim_whitespace=True)
