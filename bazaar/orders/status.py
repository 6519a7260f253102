"""The order status machine (SPEC §5) as data: one table, one function that enforces it."""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NEW = "new", _("New")
    HOLD = "hold", _("Hold")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    PROCESSING = "processing", _("Processing")
    SHIPPED = "shipped", _("Shipped")
    COMPLETED = "completed", _("Completed")
    REFUNDED = "refunded", _("Refunded")
    DELETED = "deleted", _("Deleted")


# The statuses an order may be created in; the others are reached only through TRANSITIONS.
CREATABLE: frozenset[Status] = frozenset(
    {Status.NEW, Status.HOLD, Status.FAILED, Status.CANCELLED, Status.DELETED}
)

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset(
        {Status.HOLD, Status.PROCESSING, Status.FAILED, Status.CANCELLED, Status.DELETED}
    ),
    Status.HOLD: frozenset(
        {Status.NEW, Status.PROCESSING, Status.FAILED, Status.CANCELLED, Status.DELETED}
    ),
    Status.FAILED: frozenset({Status.NEW, Status.CANCELLED, Status.DELETED}),
    Status.PROCESSING: frozenset(
        {Status.HOLD, Status.SHIPPED, Status.COMPLETED, Status.CANCELLED, Status.REFUNDED}
    ),
    Status.SHIPPED: frozenset({Status.COMPLETED, Status.REFUNDED}),
    Status.COMPLETED: frozenset({Status.REFUNDED}),
    Status.CANCELLED: frozenset({Status.NEW, Status.DELETED}),
    Status.REFUNDED: frozenset({Status.DELETED}),
    Status.DELETED: frozenset({Status.NEW}),
}

# Items are frozen once the goods are settled; payments only once the order is gone.
ITEMS_LOCKED: frozenset[Status] = frozenset({Status.COMPLETED, Status.REFUNDED, Status.DELETED})
PAYMENTS_LOCKED: frozenset[Status] = frozenset({Status.DELETED})
NOT_PAYABLE: frozenset[Status] = frozenset(
    {Status.CANCELLED, Status.FAILED, Status.REFUNDED, Status.DELETED}
)

# An order in one of these does not count as a use of its coupon (SPEC §12).
NOT_COUNTING: frozenset[Status] = frozenset({Status.CANCELLED, Status.FAILED, Status.DELETED})


class StatusError(ValueError):
    """A refused status; the message is meant for the API client."""


def _ordered(statuses: frozenset[Status]) -> list[str]:
    order = list(Status)
    return [s.value for s in sorted(statuses, key=order.index)]


# Each status's next ones, in the enum's order: read for every order of every response.
_ALLOWED_NEXT: dict[str, tuple[str, ...]] = {
    status.value: tuple(_ordered(TRANSITIONS[status])) for status in TRANSITIONS
}


def allowed_next(current: str) -> list[str]:
    found = _ALLOWED_NEXT.get(current)
    if found is None:  # not a status's value: Status() refuses it
        found = _ALLOWED_NEXT[Status(current).value]
    return list(found)


def check_initial_status(status: str) -> None:
    if Status(status) not in CREATABLE:
        raise StatusError(
            gettext(
                "'%(status)s' is reserved for later stages of an order; an order is created as "
                "one of: %(statuses)s."
            )
            % {"status": status, "statuses": ", ".join(_ordered(CREATABLE))}
        )


def check_transition(current: str, new: str) -> None:
    """Staying put is always allowed; any other move must be in TRANSITIONS."""
    if current == new:
        return
    if Status(new) not in TRANSITIONS[Status(current)]:
        raise StatusError(
            gettext(
                "Cannot change status from '%(current)s' to '%(new)s'. "
                "Allowed next statuses: %(statuses)s."
            )
            % {"current": current, "new": new, "statuses": ", ".join(allowed_next(current))}
        )
