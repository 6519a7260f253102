from django.apps import AppConfig


class MethodsConfig(AppConfig):
    name = "bazaar.methods"
    label = "methods"
