from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "bazaar.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # The outbox: every order write's events queue their deliveries in the write's own
        # transaction (bazaar.orders.events.EventLog.commit sends the signal there).
        from bazaar.orders.events import order_events_recorded, register_write_companion
        from bazaar.webhooks import services

        order_events_recorded.connect(
            services.on_order_events, dispatch_uid="bazaar.webhooks.outbox"
        )
        register_write_companion(services.ACTIVE_WEBHOOKS)
