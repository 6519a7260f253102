from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "bazaar.geo"
    label = "geo"
