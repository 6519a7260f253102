"""SPEC §16: folded search text, computed by the database (`bazaar.api.text`); existing rows
are folded as the column is added. PostgreSQL: `bazaar_fold` and trigram indexes."""

import bazaar.api.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("media", "0002_verbose_names"),
    ]

    operations = [
        migrations.RunPython(bazaar.api.text.create_fold_function, migrations.RunPython.noop),
        migrations.AddField(
            model_name="image",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=bazaar.api.text.FoldedText("name"),
                output_field=models.TextField(),
                verbose_name="search text",
            ),
        ),
        migrations.RunPython(*bazaar.api.text.create_trigram_index("media_image")),
    ]
