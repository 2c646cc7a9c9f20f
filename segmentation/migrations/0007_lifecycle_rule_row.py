"""The lifecycle rule as a row: until now every database ran on the code's defaults while the admin showed an empty
table, so what the admin could edit was not what the runs used. The defaults become the one row the admin edits."""

from django.db import migrations


def seed(apps, schema_editor):
    LifecycleRule = apps.get_model("segmentation", "LifecycleRule")
    if not LifecycleRule.objects.exists():
        LifecycleRule.objects.create()


class Migration(migrations.Migration):
    dependencies = [("segmentation", "0006_peer_groups")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
