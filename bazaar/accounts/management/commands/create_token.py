from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken

from bazaar.accounts.models import User


class Command(BaseCommand):
    help = "Print a new API token for USERNAME (one line, nothing else)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        _instance, token = AuthToken.objects.create(user)
        self.stdout.write(token)
