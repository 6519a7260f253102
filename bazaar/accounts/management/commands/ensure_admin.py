import os

from django.core.management.base import BaseCommand

from bazaar.accounts.models import User


class Command(BaseCommand):
    help = "Make sure the superuser `admin` exists (password from ADMIN_PASSWORD, default 'admin')."

    def handle(self, *args, **options):
        user, created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(os.environ.get("ADMIN_PASSWORD", "admin"))
            user.save()
            self.stderr.write(
                "Created superuser 'admin' (password from ADMIN_PASSWORD, default 'admin')."
            )
        elif not (user.is_superuser and user.is_staff and user.is_active):
            user.is_superuser = user.is_staff = user.is_active = True
            user.save(update_fields=["is_superuser", "is_staff", "is_active"])
