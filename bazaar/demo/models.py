from django.db import models


class SeedRun(models.Model):
    """One run of `seed_demo`. Its existence is the marker `seed_demo --once` looks for, so demo
    data is loaded once per database even when a run made no orders (`--orders 0`)."""

    seed = models.IntegerField()
    orders = models.PositiveIntegerField(help_text="orders made by this run")
    elapsed_seconds = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"seed {self.seed}: {self.orders} orders at {self.created_at:%Y-%m-%d %H:%M}"
