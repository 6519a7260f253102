from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Timestamped(models.Model):
    """created_at/updated_at that bulk loaders may set (auto_now would overwrite them);
    every save() moves updated_at."""

    created_at = models.DateTimeField(
        verbose_name=_("created at"), default=timezone.now, editable=False
    )
    updated_at = models.DateTimeField(
        verbose_name=_("updated at"), default=timezone.now, editable=False
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        fields = self.prepare_save(None if update_fields is None else list(update_fields))
        if fields is not None:
            kwargs["update_fields"] = fields
        super().save(*args, **kwargs)

    def prepare_save(self, update_fields: list[str] | None) -> list[str] | None:
        """What save() does to the row before Django writes it, for save() and for a writer
        that sends the row's SQL itself (`bazaar.orders.events`): moves updated_at, and
        returns `update_fields` with every field this changed (None: the whole row)."""
        self.updated_at = timezone.now()
        if update_fields is None:
            return None
        return list(dict.fromkeys([*update_fields, "updated_at"]))
