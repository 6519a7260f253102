"""A change row for every order made before the feed existed, so that the feed read from the
start holds every order (SPEC §15: "omitted: from the first order")."""

from django.db import migrations

INSERT = {
    "postgresql": "INSERT INTO feed_orderchange (order_id, xid, changed_at) "
    "SELECT id, pg_current_xact_id()::text::bigint, now() FROM orders_order "
    "ON CONFLICT (xid, order_id) DO NOTHING",
    "sqlite": "INSERT INTO feed_orderchange (order_id, xid, changed_at) "
    "SELECT id, NULL, strftime('%Y-%m-%d %H:%M:%f', 'now') FROM orders_order ORDER BY id",
}


def backfill(apps, schema_editor) -> None:
    sql = INSERT.get(schema_editor.connection.vendor)
    if sql is not None:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("feed", "0001_initial"),
        ("orders", "0013_events_and_version"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
