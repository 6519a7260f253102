"""SPEC §16: folded search text, computed by the database (`bazaar.api.text`); existing rows
are folded as the column is added. PostgreSQL: `bazaar_fold` and trigram indexes."""

import bazaar.api.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_coupon_codes"),
    ]

    operations = [
        migrations.RunPython(bazaar.api.text.create_fold_function, migrations.RunPython.noop),
        migrations.AddField(
            model_name="user",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=bazaar.api.text.FoldedText(
                    "username", "first_name", "last_name", "email", "mobile_number"
                ),
                output_field=models.TextField(),
                verbose_name="search text",
            ),
        ),
        migrations.RunPython(*bazaar.api.text.create_trigram_index("accounts_user")),
    ]
