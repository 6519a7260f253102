from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "bazaar.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from bazaar.api import schema  # noqa: F401 - registers the OpenAPI auth extension
        from bazaar.api.text import register_sqlite_functions

        # SQLite's generated search columns call bazaar_fold (PostgreSQL's is a SQL function).
        connection_created.connect(register_sqlite_functions, dispatch_uid="bazaar_fold")
