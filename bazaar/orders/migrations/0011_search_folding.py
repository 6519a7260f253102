"""SPEC §16: folded search text, computed by the database (`bazaar.api.text`); existing rows
are folded as the column is added. PostgreSQL: `bazaar_fold` and trigram indexes."""

import bazaar.api.text
from django.db import migrations, models

# The trigram indexes of migrations 0003 and 0005 served `UPPER(column) LIKE` per column; the
# search now reads the folded `search_text` columns, so they would only slow every write.
OLD_TRIGRAM_COLUMNS = {
    "orders_order": [
        "notes",
        "billing_first_name",
        "billing_last_name",
        "billing_mobile_number",
        "billing_email",
        "shipping_first_name",
        "shipping_last_name",
        "shipping_mobile_number",
    ],
    "accounts_user": ["first_name", "last_name", "email", "username", "mobile_number"],
}


def drop_old_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, columns in OLD_TRIGRAM_COLUMNS.items():
        for column in columns:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_{column}_trgm"')


def restore_old_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, columns in OLD_TRIGRAM_COLUMNS.items():
        for column in columns:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{table}_{column}_trgm" ON "{table}" '
                f'USING gin ((UPPER(("{column}")::text)) gin_trgm_ops)'
            )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0010_money_verbose_names"),
        ("accounts", "0004_search_folding"),
    ]

    operations = [
        migrations.RunPython(bazaar.api.text.create_fold_function, migrations.RunPython.noop),
        migrations.AddField(
            model_name="order",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=bazaar.api.text.FoldedText(
                    "notes",
                    "billing_first_name",
                    "billing_last_name",
                    "billing_mobile_number",
                    "billing_email",
                    "shipping_first_name",
                    "shipping_last_name",
                    "shipping_mobile_number",
                ),
                output_field=models.TextField(),
                verbose_name="search text",
            ),
        ),
        migrations.RunPython(*bazaar.api.text.create_trigram_index("orders_order")),
        migrations.RunPython(drop_old_indexes, restore_old_indexes),
    ]
