"""The change feed's log (SPEC §15): one row per order per transaction that changed it.

PostgreSQL: `xid` is the writing transaction's id (`pg_current_xact_id()`), and a read returns
only rows whose transaction is older than every transaction still running, ordered by (xid, id):
docs/decisions.md explains why a client following the cursor never skips a late commit.
SQLite serialises writers, so ids commit in order and `xid` stays null there.

The purge never deletes an order's last row, so the log always holds every order at least once:
read from the start, the feed walks every order (SPEC: "omitted: from the first order").
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderChange(models.Model):
    # No foreign key: the log is append-only and purged by age, and reaches the order by id
    # (SPEC §17: distributable by order id).
    order_id = models.BigIntegerField(_("order id"))
    xid = models.BigIntegerField(_("transaction id"), null=True)
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("order change")
        verbose_name_plural = _("order changes")
        indexes = [
            models.Index(fields=["xid", "id"], name="feed_change_position_idx"),
            models.Index(fields=["changed_at"], name="feed_change_changed_at_idx"),
            # The purge keeps each order's last row: "is there a later one?"
            models.Index(fields=["order_id", "id"], name="feed_change_order_idx"),
        ]
        constraints = [
            # One row per order per transaction (PostgreSQL; null xids never collide).
            models.UniqueConstraint(fields=["xid", "order_id"], name="feed_change_once_per_xact"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}@{self.xid}:{self.pk}"
