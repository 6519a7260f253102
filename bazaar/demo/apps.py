from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "bazaar.demo"
    label = "demo"
