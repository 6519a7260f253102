from django.db import models
from django.utils.translation import gettext_lazy as _


class SeedRun(models.Model):
    """One run of `seed_demo`. Its existence is the marker `seed_demo --once` looks for, so demo
    data is loaded once per database even when a run made no orders (`--orders 0`)."""

    seed = models.IntegerField(verbose_name=_("seed"))
    orders = models.PositiveIntegerField(
        verbose_name=_("orders"), help_text=_("orders made by this run")
    )
    elapsed_seconds = models.FloatField(verbose_name=_("elapsed seconds"))
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("seed run")
        verbose_name_plural = _("seed runs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return _("seed %(seed)s: %(orders)s orders") % {"seed": self.seed, "orders": self.orders}
