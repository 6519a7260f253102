from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    name = "bazaar.idempotency"
    label = "idempotency"
    verbose_name = "Idempotency keys"
