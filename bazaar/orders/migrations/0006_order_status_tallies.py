"""Per-status tallies of orders, kept by triggers (PostgreSQL only; see `OrderStatusDelta`).

Statement-level triggers with transition tables: a bulk insert or COPY of a million orders adds
one row per status, not one per order. SQLite gets the table but no triggers: its list counts
the rows, which is fast at SQLite's scale."""

from django.db import migrations, models

TALLY_FUNCTION = """
CREATE OR REPLACE FUNCTION orders_order_status_tally() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO orders_orderstatusdelta (status, delta)
        SELECT status, count(*) FROM new_rows GROUP BY status;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO orders_orderstatusdelta (status, delta)
        SELECT status, -count(*) FROM old_rows GROUP BY status;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO orders_orderstatusdelta (status, delta)
        SELECT status, sum(delta) FROM (
            SELECT o.status, -1 AS delta
            FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.status <> n.status
            UNION ALL
            SELECT n.status, 1
            FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.status <> n.status
        ) moved
        GROUP BY status HAVING sum(delta) <> 0;
    ELSE  -- TRUNCATE
        DELETE FROM orders_orderstatusdelta;
    END IF;
    RETURN NULL;
END
$$;
"""

TRIGGERS = {
    "orders_order_tally_insert": "AFTER INSERT ON orders_order "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT",
    "orders_order_tally_update": "AFTER UPDATE ON orders_order "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT",
    "orders_order_tally_delete": "AFTER DELETE ON orders_order "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT",
    "orders_order_tally_truncate": "AFTER TRUNCATE ON orders_order FOR EACH STATEMENT",
}


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # No order may change between the first tally and the triggers taking over.
    schema_editor.execute("LOCK TABLE orders_order IN SHARE ROW EXCLUSIVE MODE")
    schema_editor.execute(TALLY_FUNCTION)
    for name, when in TRIGGERS.items():
        schema_editor.execute(
            f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION orders_order_status_tally()"
        )
    schema_editor.execute(
        "INSERT INTO orders_orderstatusdelta (status, delta) "
        "SELECT status, count(*) FROM orders_order GROUP BY status"
    )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON orders_order")
    schema_editor.execute("DROP FUNCTION IF EXISTS orders_order_status_tally()")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_shipping_search_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrderStatusDelta",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("new", "New"),
                            ("hold", "Hold"),
                            ("failed", "Failed"),
                            ("cancelled", "Cancelled"),
                            ("processing", "Processing"),
                            ("shipped", "Shipped"),
                            ("completed", "Completed"),
                            ("refunded", "Refunded"),
                            ("deleted", "Deleted"),
                        ],
                        max_length=16,
                    ),
                ),
                ("delta", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
