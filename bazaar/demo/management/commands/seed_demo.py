"""`python manage.py seed_demo [--orders N] [--seed S] [--once]`: the demo shop (SPEC §9)."""

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from bazaar.demo.services import (
    DEFAULT_ORDERS,
    DEFAULT_SEED,
    ORDER_BATCH,
    demo_data_present,
    demo_seed,
)


class Command(BaseCommand):
    help = (
        "Load demo data: Iran's provinces and cities, payment and shipping methods with pictures, "
        "products, customers and N orders with items and payments. Reference data is created "
        "once (get-or-create); every run adds N more orders unless --once finds data already."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--orders", type=int, default=DEFAULT_ORDERS, help=f"default {DEFAULT_ORDERS}"
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="same seed, same content"
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="do nothing if the database already has orders or demo data (used by make run)",
        )
        parser.add_argument(
            "--batch-size", type=int, default=ORDER_BATCH, help="orders per transaction"
        )

    def handle(self, *args, orders: int, seed: int, once: bool, batch_size: int, **options):
        if orders < 0 or batch_size < 1:
            raise CommandError("--orders must be 0 or more and --batch-size 1 or more.")
        show = options["verbosity"] > 0
        if once and demo_data_present():
            if show:
                self.stdout.write("Demo data already loaded")
            return
        with tqdm(
            total=orders, unit=" orders", file=sys.stderr, disable=not show, dynamic_ncols=True
        ) as bar:
            summary = demo_seed(
                orders=orders, seed=seed, once=once, batch_size=batch_size, on_progress=bar.update
            )
        # The bulk loads send no order events: the change feed gets a row per new order here,
        # so that read from the start it holds every order (bazaar.feed).
        from bazaar.feed.services import feed_backfill

        feed_backfill()
        if show:
            self.stdout.write("\n".join(summary.lines()))
