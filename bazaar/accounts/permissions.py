"""Reading and granting permission codes (selectors and services of the accounts domain)."""

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.db.models import QuerySet

from bazaar.accounts.codes import ALL_CODES, codename
from bazaar.accounts.models import User

CODENAME_PREFIX = "code_"


def code_permissions(codes: Iterable[int]) -> QuerySet[Permission]:
    return Permission.objects.filter(
        content_type__app_label="accounts",
        codename__in=[codename(code) for code in codes],
    )


def codes_from_perm_strings(perms: Iterable[str]) -> list[int]:
    """`{"accounts.code_2201", "auth.add_user"}` -> `[2201]`."""
    prefix = f"accounts.{CODENAME_PREFIX}"
    return sorted(int(p[len(prefix) :]) for p in perms if p.startswith(prefix))


def user_effective_codes(user: User) -> list[int]:
    """Every code the user may use: all of them for an Admin, else direct grants plus roles."""
    if not user.is_active:
        return []
    if user.is_superuser:
        return list(ALL_CODES)
    return codes_from_perm_strings(user.get_all_permissions())


def user_has_code(user: User, code: int) -> bool:
    if not user.is_active or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.is_staff and user.has_perm(f"accounts.{codename(code)}")


def role_set_codes(*, role: Group, codes: Iterable[int]) -> None:
    role.permissions.set(code_permissions(codes))


def user_set_direct_codes(*, user: User, codes: Iterable[int]) -> None:
    user.user_permissions.set(code_permissions(codes))
