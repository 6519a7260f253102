from rest_framework import serializers

from bazaar.api.serializers import ModelSerializer
from bazaar.webhooks import types
from bazaar.webhooks.models import Delivery, DeliveryStatus, Webhook
from bazaar.webhooks.security import UnsafeURL, check_url

MAX_PATTERNS = 50


class WebhookSerializer(ModelSerializer):
    """A subscription (SPEC §15). The secret is not part of it: it is shown once, in the create
    and rotate-secret answers (WebhookSecretSerializer)."""

    url = serializers.URLField(
        max_length=2000,
        help_text="https:// (http:// only when the server allows it); the host must be public.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=[(p, p) for p in types.PATTERNS]),
        min_length=1,
        max_length=MAX_PATTERNS,
        help_text="Event types, or patterns ending in `*` (`order.*`, `*`).",
    )
    description = serializers.CharField(max_length=500, allow_blank=True, required=False)
    is_active = serializers.BooleanField(required=False)

    class Meta:
        model = Webhook
        fields = ["id", "url", "events", "description", "is_active", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def validate_url(self, url: str) -> str:
        try:
            check_url(url)
        except UnsafeURL as exc:
            raise serializers.ValidationError(str(exc)) from None
        return url

    def validate_events(self, events: list[str]) -> list[str]:
        return list(dict.fromkeys(events))  # each pattern once, in the order given


class WebhookSecretSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="`whsec_` and base64 of 32 random bytes: the key of `webhook-signature`. "
        "Shown only here; keep it.",
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class DeliverySerializer(ModelSerializer):
    event_id = serializers.IntegerField(
        allow_null=True, read_only=True, help_text="The order event (§13); null for a ping."
    )
    order = serializers.IntegerField(source="order_id", allow_null=True, read_only=True)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id", "event_type", "event_id", "order", "status", "attempts", "last_status_code",
            "last_error", "next_attempt_at", "delivered_at", "created_at",
        ]  # fmt: skip
        read_only_fields = fields
