from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from bazaar.accounts.codes import ALL_CODES, code_name, codename
from bazaar.api.text import search_text_field


class User(AbstractUser):
    """Staff members and customers alike: customers are the users that are not staff."""

    # Stored normalised as 09xxxxxxxxx (SPEC §8). Unique where present; staff may have none.
    mobile_number = models.CharField(
        verbose_name=_("mobile number"), max_length=11, unique=True, null=True, blank=True
    )
    # What the customer and user searches read, folded (SPEC §16, bazaar.api.text): computed by
    # the database on every write; trigram-indexed on PostgreSQL (accounts migration 0002).
    search_text = search_text_field("username", "first_name", "last_name", "email", "mobile_number")

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        db_table = "accounts_user"
        indexes = [
            models.Index(fields=["is_staff", "-date_joined"], name="user_staff_joined_idx"),
        ]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class PermissionCodes(models.Model):
    """Carries the permission codes as Django permissions (`accounts.code_2201`); no table.

    Django creates a Permission row for each entry of Meta.permissions on migrate, so roles
    (groups), direct grants and the admin work with Django's own permission machinery.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [(codename(code), f"{code} {code_name(code)}") for code in ALL_CODES]
        verbose_name = _("permission code")
        verbose_name_plural = _("permission codes")

    def __str__(self) -> str:
        return str(_("permission codes"))
