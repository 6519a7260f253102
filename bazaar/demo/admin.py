from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from bazaar.admin_dates import date_column
from bazaar.demo.models import SeedRun


@admin.register(SeedRun)
class SeedRunAdmin(admin.ModelAdmin):
    """What `seed_demo` has loaded into this database (read-only)."""

    list_display = ("id", "created_at_local", "seed", "orders", "elapsed_seconds")
    created_at_local = date_column("created_at", _("created at"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
