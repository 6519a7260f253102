from django.core.management.base import BaseCommand

from bazaar.feed.services import feed_purge, feed_retention


class Command(BaseCommand):
    help = "Delete change-feed rows older than the cursors' lifetime plus a day."

    def handle(self, *args, **options) -> None:
        deleted = feed_purge()
        self.stdout.write(f"{deleted} change rows older than {feed_retention().days} days deleted")
