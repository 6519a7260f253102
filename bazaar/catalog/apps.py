from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "bazaar.catalog"
    label = "catalog"
