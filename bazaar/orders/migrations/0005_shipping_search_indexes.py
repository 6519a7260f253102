"""PostgreSQL only: trigram indexes for the SPEC §11 fields that the order search reads."""

from django.db import migrations

COLUMNS = ["billing_email", "shipping_first_name", "shipping_last_name", "shipping_mobile_number"]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "orders_order_{column}_trgm" ON "orders_order" '
            f'USING gin ((UPPER(("{column}")::text)) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "orders_order_{column}_trgm"')


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_shipping_delivery_guest")]
    operations = [migrations.RunPython(create_indexes, drop_indexes)]
