from django.conf import settings
from django.db import models
from django.utils import timezone


class StoredResponse(models.Model):
    """The response to a request sent with an `Idempotency-Key` (SPEC §13), kept 24 hours so
    that a retry of the same request gets it again instead of running twice.

    Written in the same transaction as the write the request made: a committed write always has
    its row, and a request whose write was rolled back has none.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # What the key was first used for: a retry must match it (else 422).
    method = models.CharField(max_length=10)
    path = models.TextField(help_text="The path without its trailing slash, and the query string.")
    body_hash = models.CharField(max_length=64, help_text="SHA-256 of the body, JSON by value.")
    # The response, sent again on a replay.
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=255, blank=True)
    location = models.TextField(blank=True)
    etag = models.CharField(max_length=255, blank=True)
    body = models.BinaryField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)  # purge by age

    class Meta:
        constraints = [
            # The last guard against a second run: two transactions storing one key cannot both
            # commit (the advisory lock normally refuses the second long before).
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path} -> {self.status_code})"
