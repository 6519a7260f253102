from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "bazaar.customers"
    label = "customers"
