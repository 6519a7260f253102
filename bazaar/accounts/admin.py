"""Roles (Django groups) in the admin, with their permissions named in the active language:
the permission codes by their SPEC §3 name ("2201 · ایجاد سفارش‌ها") and Django's own
add/change/delete/view permissions by the model's translated name. The stored Permission rows
keep their English names (Django writes them on migrate); only what the admin shows changes."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _

from bazaar.accounts.codes import code_label

DEFAULT_PERMISSION_NAMES = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    """How a permission reads in the admin (it reads `permission.content_type`: select it)."""
    content_type = permission.content_type
    action, _sep, rest = permission.codename.partition("_")
    if content_type.app_label == "accounts" and action == "code" and rest.isdecimal():
        try:
            return f"{rest} · {code_label(int(rest))}"
        except ValueError:  # a stale row for a code that no longer exists
            return str(permission)
    model = content_type.model_class()
    if model is not None and action in DEFAULT_PERMISSION_NAMES:
        name = DEFAULT_PERMISSION_NAMES[action] % {"model": model._meta.verbose_name}
        return f"{content_type} | {name}"
    return str(permission)


class RoleAdmin(GroupAdmin):
    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request=request, **kwargs)
        if db_field.name == "permissions":
            field.label_from_instance = permission_label
        return field


admin.site.unregister(Group)
admin.site.register(Group, RoleAdmin)
