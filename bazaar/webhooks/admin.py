"""Webhooks in the staff admin: subscriptions (the secret is never shown here: the API shows it
once) and their delivery log, read-only (deliveries are written by the outbox and the worker)."""

from django.contrib import admin
from django.http import HttpRequest

from bazaar.webhooks.models import Delivery, Webhook


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ("id", "url", "is_active", "description", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "description")
    readonly_fields = ("url", "events", "created_at", "updated_at")
    fields = ("url", "events", "description", "is_active", ("created_at", "updated_at"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # through the API, which checks the URL and shows the new secret


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "id", "webhook", "event_type", "order", "status", "attempts", "last_status_code",
        "next_attempt_at", "delivered_at", "created_at",
    )  # fmt: skip
    list_filter = ("status", "event_type")
    list_select_related = ("webhook",)
    raw_id_fields = ("webhook", "order", "event")
    readonly_fields = [field.name for field in Delivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False
