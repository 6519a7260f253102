from django.core.management.base import BaseCommand

from bazaar.idempotency.services import KEEP_FOR, keys_purge


class Command(BaseCommand):
    help = (
        f"Delete the stored answers of Idempotency-Keys older than {KEEP_FOR}, in batches. Writes "
        "purge a few on their own; run this from cron (hourly) to clear what idle users left."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, batch_size: int, **options) -> None:
        deleted = keys_purge(batch_size=max(1, batch_size))
        self.stdout.write(f"Deleted {deleted} expired idempotency keys.")
