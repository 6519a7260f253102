from django.contrib import admin

from bazaar.demo.models import SeedRun


@admin.register(SeedRun)
class SeedRunAdmin(admin.ModelAdmin):
    """What `seed_demo` has loaded into this database (read-only)."""

    list_display = ("id", "created_at", "seed", "orders", "elapsed_seconds")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
