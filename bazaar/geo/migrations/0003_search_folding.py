"""SPEC §16: folded search text, computed by the database (`bazaar.api.text`); existing rows
are folded as the column is added. PostgreSQL: `bazaar_fold` and trigram indexes."""

import bazaar.api.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("geo", "0002_verbose_names"),
    ]

    operations = [
        migrations.RunPython(bazaar.api.text.create_fold_function, migrations.RunPython.noop),
        migrations.AddField(
            model_name="city",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=bazaar.api.text.FoldedText("name"),
                output_field=models.TextField(),
                verbose_name="search text",
            ),
        ),
        migrations.AddField(
            model_name="country",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=bazaar.api.text.FoldedText("name"),
                output_field=models.TextField(),
                verbose_name="search text",
            ),
        ),
        migrations.AddField(
            model_name="state",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=bazaar.api.text.FoldedText("name"),
                output_field=models.TextField(),
                verbose_name="search text",
            ),
        ),
        migrations.RunPython(*bazaar.api.text.create_trigram_index("geo_city")),
        migrations.RunPython(*bazaar.api.text.create_trigram_index("geo_country")),
        migrations.RunPython(*bazaar.api.text.create_trigram_index("geo_state")),
    ]
