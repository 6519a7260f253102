"""The database cache table: throttle counters and caches shared by every worker (no Redis needed)."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    connection = schema_editor.connection
    if "bazaar_cache" not in connection.introspection.table_names():
        call_command("createcachetable", database=connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies: list = []
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
