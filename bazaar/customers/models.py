from django.contrib.auth.models import UserManager
from django.utils.translation import gettext_lazy as _

from bazaar.accounts.models import User


class CustomerManager(UserManager):
    """Users that are neither staff nor Admins. A UserManager, because Django's user code calls
    `Model.objects.normalize_email()` (AbstractUser.clean)."""

    use_in_migrations = False

    def get_queryset(self):
        return super().get_queryset().filter(is_staff=False, is_superuser=False)


class Customer(User):
    """The shop's customers: users that are not staff (SPEC §4)."""

    objects = CustomerManager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        proxy = True
        ordering = ["-date_joined", "-id"]
