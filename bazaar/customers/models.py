from django.db import models

from bazaar.accounts.models import User


class CustomerManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(is_staff=False, is_superuser=False)


class Customer(User):
    """The shop's customers: users that are not staff (SPEC §4)."""

    objects = CustomerManager()

    class Meta:
        proxy = True
        ordering = ["-date_joined", "-id"]
