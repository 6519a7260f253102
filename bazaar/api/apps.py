from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "bazaar.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from bazaar.api import schema  # noqa: F401 - registers the OpenAPI auth extension
