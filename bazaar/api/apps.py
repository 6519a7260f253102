from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "bazaar.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from bazaar.api import schema  # noqa: F401 - registers the OpenAPI auth extension
