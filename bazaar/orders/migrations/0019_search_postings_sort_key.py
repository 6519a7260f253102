"""The search postings carry their order's sort key (PostgreSQL only; issue 18, the design and
its measurements: docs/performance-analysis.md).

A posting is now (word, order's created_at, order), its primary key in that order. The page of
a search in the list's own order (newest first) is then the newest postings of the words that
hold the term, read backwards from the primary key alone: a first name matching 21,000 orders at
a million gives its page from 100 index entries instead of walking the orders' date index
against a hashed set of their ids, and a mobile number's 430 words give theirs without visiting
the 1,000 orders they hold. Counting is unchanged: the postings of the words.

The table is rebuilt rather than altered (a new column on 5 million rows and a new primary key
rewrite it anyway), under the same lock as its first build, and the triggers that keep it
(0015) are replaced by ones that write the new column, stop at once when an update changes
nothing searched, and look one order's words up by index instead of hashing the dictionary. An order's `created_at` is set once, but
an update that changed it would move its postings too: the update trigger rewrites an order's
postings when it changes."""

import importlib

from django.db import migrations

# The first version's triggers, restored when this migration is reversed.
first = importlib.import_module("bazaar.orders.migrations.0015_search_postings")

# The postings rebuilt as a new table of `columns` with primary key `key`, filled by `rows`,
# then renamed into place with the order index the triggers' deletes use.
REBUILD = """
CREATE TABLE orders_search_posting_next (
    {columns},
    CONSTRAINT orders_search_posting_next_pkey PRIMARY KEY ({key})
);
INSERT INTO orders_search_posting_next ({key}) {rows};
DROP TABLE orders_search_posting;
ALTER TABLE orders_search_posting_next RENAME TO orders_search_posting;
ALTER TABLE orders_search_posting
    RENAME CONSTRAINT orders_search_posting_next_pkey TO orders_search_posting_pkey;
CREATE INDEX orders_search_posting_order ON orders_search_posting (order_id);
"""
SORTED_TABLE = REBUILD.format(
    columns="word_id integer NOT NULL, created_at timestamptz NOT NULL, order_id bigint NOT NULL",
    key="word_id, created_at, order_id",
    rows="SELECT p.word_id, o.created_at, p.order_id FROM orders_search_posting p "
    "JOIN orders_order o ON o.id = p.order_id ORDER BY 1, 2, 3",
)
UNSORTED_TABLE = REBUILD.format(
    columns="word_id integer NOT NULL, order_id bigint NOT NULL",
    key="word_id, order_id",
    rows="SELECT word_id, order_id FROM orders_search_posting",
)

# As 0015's, with the order's created_at carried into its postings.
SEARCHED_TEXT = """
    SELECT o.id, o.created_at, o.search_text || CASE
        WHEN u.id IS NULL OR u.is_staff OR u.is_superuser THEN '' ELSE ' ' || u.search_text
    END AS search_text
    FROM ({orders}) o LEFT JOIN accounts_user u ON u.id = o.customer_id
    WHERE o.status <> 'deleted'
"""
# The words of a text. regexp_split_to_table is estimated at 1,000 rows per text, so for one
# order's dozen words PostgreSQL hashed the whole dictionary to join them (7 ms per order write
# at 10,000 orders, growing with the dictionary); declared at about a dozen, one order's words
# are looked up in the md5 index and a bulk load's still joined by hash. PL/pgSQL, so that the
# estimate is not inlined away.
TERMS_FUNCTION = """
CREATE OR REPLACE FUNCTION orders_search_terms(text) RETURNS SETOF text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE ROWS 12 AS $$
BEGIN
    RETURN QUERY SELECT t FROM regexp_split_to_table($1, ' ') AS t WHERE t <> '';
END $$;
"""
ADD_POSTINGS = """
    INSERT INTO orders_search_word (word)
    SELECT DISTINCT t.term
    FROM ({texts}) r, orders_search_terms(r.search_text) AS t(term)
    ORDER BY t.term  -- one order for every writer: two writes adding the same words never deadlock
    ON CONFLICT ((md5(word)::uuid)) DO NOTHING;
    INSERT INTO orders_search_posting (word_id, created_at, order_id)
    SELECT DISTINCT w.id, r.created_at, r.id
    FROM ({texts}) r, orders_search_terms(r.search_text) AS t(term)
    JOIN orders_search_word w ON md5(w.word)::uuid = md5(t.term)::uuid AND w.word = t.term
    ON CONFLICT DO NOTHING;
"""


def add_postings(orders: str) -> str:
    return ADD_POSTINGS.format(texts=SEARCHED_TEXT.format(orders=orders))


ORDER_COLUMNS = "id, created_at, search_text, customer_id, status"
ORDERS_CHANGED = f"""
    SELECT n.{ORDER_COLUMNS.replace(", ", ", n.")} FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.search_text IS DISTINCT FROM o.search_text
       OR n.customer_id IS DISTINCT FROM o.customer_id
       OR n.created_at IS DISTINCT FROM o.created_at
       OR (n.status = 'deleted') <> (o.status = 'deleted')
"""  # noqa: S608 (constants)
ORDERS_OF_USERS_CHANGED = (
    f"SELECT {ORDER_COLUMNS} FROM orders_order WHERE customer_id IN ({first.USERS_CHANGED})"  # noqa: S608
)

# An update that changes nothing searched (most: an item, a payment, a status) stops at the
# first statement: no text is split and no word looked up.
FUNCTIONS = {
    "orders_search_postings_insert": add_postings(f"SELECT {ORDER_COLUMNS} FROM new_rows"),  # noqa: S608
    "orders_search_postings_update": f"""
        IF NOT EXISTS ({ORDERS_CHANGED}) THEN RETURN NULL; END IF;
        DELETE FROM orders_search_posting p USING ({ORDERS_CHANGED}) c WHERE p.order_id = c.id;
        {add_postings(ORDERS_CHANGED)}
    """,  # noqa: S608 (constants)
    "orders_search_postings_customer": f"""
        IF NOT EXISTS ({first.USERS_CHANGED}) THEN RETURN NULL; END IF;
        DELETE FROM orders_search_posting p USING ({ORDERS_OF_USERS_CHANGED}) c
        WHERE p.order_id = c.id;
        {add_postings(ORDERS_OF_USERS_CHANGED)}
    """,  # noqa: S608 (constants)
}
assert set(FUNCTIONS) <= set(first.FUNCTIONS)


def _replace_functions(schema_editor, functions: dict[str, str]) -> None:
    for name in FUNCTIONS:
        schema_editor.execute(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {functions[name]} RETURN NULL; END $$"
        )


def _lock(schema_editor) -> None:
    # Nothing searched may change while the table is rebuilt and its triggers replaced.
    schema_editor.execute("LOCK TABLE orders_order, accounts_user IN SHARE ROW EXCLUSIVE MODE")


def sort_postings(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    _lock(schema_editor)
    schema_editor.execute(SORTED_TABLE)
    schema_editor.execute(TERMS_FUNCTION)
    _replace_functions(schema_editor, FUNCTIONS)
    schema_editor.execute("ANALYZE orders_search_posting")


def unsort_postings(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    _lock(schema_editor)
    schema_editor.execute(UNSORTED_TABLE)
    _replace_functions(schema_editor, first.FUNCTIONS)
    schema_editor.execute("DROP FUNCTION IF EXISTS orders_search_terms(text)")
    schema_editor.execute("ANALYZE orders_search_posting")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0018_created_index_with_status"),
    ]

    operations = [
        migrations.RunPython(sort_postings, unsort_postings),
    ]
