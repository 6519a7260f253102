"""The money, size and id limits of the API and the admin, in one place (issue 15): every
serializer, form, filter, service and the schema read them from here, so a limit can't differ
between two doors."""

# SPEC §10: prices, discounts and shipping costs.
MAX_MONEY = 10**13
# An order (and so each of its items) totals at most this much: with at most MAX_ITEMS_PER_ORDER
# items every sum stays far inside a 64-bit integer on every database.
MAX_ORDER_AMOUNT = 10**15
MAX_PAYMENT = 10**15
MAX_QUANTITY = 100_000
MAX_ITEMS_PER_ORDER = 1_000
# The largest id a row can have (a 64-bit signed primary key): larger ones are refused, not sent
# to the database to overflow there.
MAX_ID = 2**63 - 1
# Text and JSON sizes of an order.
MAX_NOTES = 5_000
MAX_EXTRA_BYTES = 64 * 1024
