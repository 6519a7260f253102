from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from bazaar.accounts.codes import Block, PermissionCode
from bazaar.api.filters import DjangoFilterBackend, OrderingFilter
from bazaar.api.filtersets import FilterSet
from bazaar.catalog.filters import StrictBooleanFilter
from bazaar.webhooks import selectors, services
from bazaar.webhooks.filters import DeliveryFilterSet
from bazaar.webhooks.models import Delivery, Webhook
from bazaar.webhooks.serializers import (
    DeliverySerializer,
    WebhookSecretSerializer,
    WebhookSerializer,
)

MAX_ID = 2**63 - 1


def _pk_or_404(pk) -> int:
    try:
        value = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < value <= MAX_ID:
        raise Http404
    return value


class WebhookFilterSet(FilterSet):
    is_active = StrictBooleanFilter()

    class Meta:
        model = Webhook
        fields: list[str] = []


@extend_schema_view(
    create=extend_schema(
        responses={201: WebhookSecretSerializer},
        description="The answer carries the `secret`, shown this once.",
    ),
    rotate_secret=extend_schema(
        request=None,
        responses=WebhookSecretSerializer,
        description="A new secret, in force at once (retries of older deliveries too); the "
        "answer carries it, shown this once.",
    ),
    ping=extend_schema(
        request=None,
        responses={202: DeliverySerializer},
        description="Queues a `webhook.ping` delivery to this webhook, sent like any event.",
    ),
)
class WebhookViewSet(viewsets.ModelViewSet):
    """Webhook subscriptions (SPEC §15), codes 2401-2405."""

    permission_block = Block.WEBHOOKS
    action_permission_codes = {
        "rotate_secret": [PermissionCode.WEBHOOKS_UPDATE],
        "ping": [PermissionCode.WEBHOOKS_UPDATE],
    }
    serializer_class = WebhookSerializer
    filterset_class = WebhookFilterSet
    search_fields = ["url", "description"]
    ordering_fields = ["id", "created_at", "updated_at"]
    ordering = ["-id"]

    def get_queryset(self):
        return selectors.webhook_queryset()

    def get_object(self):
        try:
            return self.get_queryset().get(pk=_pk_or_404(self.kwargs["pk"]))
        except Webhook.DoesNotExist:
            raise Http404 from None

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        webhook = services.webhook_create(data=dict(serializer.validated_data))
        return Response(WebhookSecretSerializer(webhook).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = services.webhook_update(
            webhook_id=serializer.instance.pk, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance):
        services.webhook_delete(webhook_id=instance.pk)

    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, *args, **kwargs):
        webhook = services.webhook_rotate_secret(webhook_id=self.get_object().pk)
        return Response(WebhookSecretSerializer(webhook).data)

    @action(detail=True, methods=["post"])
    def ping(self, request, *args, **kwargs):
        delivery = services.delivery_ping(webhook_id=self.get_object().pk)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    retry=extend_schema(
        request=None,
        responses={202: DeliverySerializer},
        description="Sends a failed delivery again, with a new round of attempts (the same "
        "`webhook-id`); a delivery that is not failed is a 409.",
    ),
)
class DeliveryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A webhook's deliveries, newest first."""

    permission_block = Block.WEBHOOKS
    # Reading a webhook's log is reading the webhook; a retry changes it.
    action_permission_codes = {
        "list": [PermissionCode.WEBHOOKS_RETRIEVE],
        "retry": [PermissionCode.WEBHOOKS_UPDATE],
    }
    serializer_class = DeliverySerializer
    filter_backends = (DjangoFilterBackend, OrderingFilter)  # no search: nothing to search in
    filterset_class = DeliveryFilterSet
    ordering_fields = ["id", "created_at", "next_attempt_at", "delivered_at"]
    ordering = ["-id"]

    def get_webhook(self) -> Webhook:
        if not hasattr(self, "_webhook"):
            try:
                self._webhook = Webhook.objects.get(pk=_pk_or_404(self.kwargs["webhook_pk"]))
            except Webhook.DoesNotExist:
                raise Http404 from None
        return self._webhook

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no webhook in the URL
            return Delivery.objects.none()
        return selectors.delivery_queryset(webhook_id=self.get_webhook().pk)

    @action(detail=True, methods=["post"])
    def retry(self, request, *args, **kwargs):
        webhook = self.get_webhook()
        delivery_id = _pk_or_404(self.kwargs["pk"])
        try:
            delivery = services.delivery_retry(webhook_id=webhook.pk, delivery_id=delivery_id)
        except Delivery.DoesNotExist:
            raise Http404 from None
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
