from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedConfig(AppConfig):
    name = "bazaar.feed"
    verbose_name = _("change feed")

    def ready(self) -> None:
        from bazaar.feed import receivers  # noqa: F401 - connects the order-events receiver
