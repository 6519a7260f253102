"""PostgreSQL only: trigram GIN indexes so that the order search (case-insensitive contains,
written by Django as `UPPER(col::text) LIKE UPPER('%term%')`) reads indexes instead of scanning
every order, and a pattern index for the key-prefix search. SQLite has no such indexes; its
searches scan, which is fine at its scale."""

from django.db import migrations

TRIGRAM_COLUMNS = {
    "orders_order": ["notes", "billing_first_name", "billing_last_name", "billing_mobile_number"],
    "accounts_user": ["first_name", "last_name", "email", "username", "mobile_number"],
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, columns in TRIGRAM_COLUMNS.items():
        for column in columns:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{table}_{column}_trgm" ON "{table}" '
                f'USING gin ((UPPER(("{column}")::text)) gin_trgm_ops)'
            )
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS "orders_order_key_prefix" ON "orders_order" '
        '((("key")::text) text_pattern_ops)'
    )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, columns in TRIGRAM_COLUMNS.items():
        for column in columns:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_{column}_trgm"')
    schema_editor.execute('DROP INDEX IF EXISTS "orders_order_key_prefix"')


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_list_indexes"),
        ("accounts", "0001_initial"),
    ]
    operations = [migrations.RunPython(create_indexes, drop_indexes)]
