"""What the tests compare the stored totals with."""

from bazaar.orders.services import _item_totals, _payment_totals


def order_totals_from_rows(*, order_id: int) -> dict[str, int]:
    """The stored totals, recomputed from the item and payment rows (one query per relation:
    summing both relations in one join would multiply the sums)."""
    return {**_item_totals(order_id), **_payment_totals(order_id)}
