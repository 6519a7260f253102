from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "bazaar.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from django.core.signals import request_finished
        from django.db.backends.signals import connection_created

        from bazaar.api import schema  # noqa: F401 - registers the OpenAPI auth extension
        from bazaar.api.middleware import clear_request_id
        from bazaar.api.text import register_sqlite_functions

        request_finished.connect(clear_request_id, dispatch_uid="bazaar.api.clear_request_id")
        # SQLite's generated search columns call bazaar_fold (PostgreSQL's is a SQL function).
        connection_created.connect(register_sqlite_functions, dispatch_uid="bazaar_fold")
