"""Default price-class bands (wholesale price per carton). Provinces differ: edit them in the admin or set new
bands with a later effective date; products are re-classed by sales.services.product_price_classes_refresh."""

import datetime

from django.db import migrations

# (class, from fen inclusive, to fen exclusive)
DEFAULT_BANDS = ((5, 0, 2000), (4, 2000, 4000), (3, 4000, 9000), (2, 9000, 13000), (1, 13000, None))


def create_bands(apps, schema_editor):
    band = apps.get_model("sales", "PriceClassBand")
    if band.objects.exists():
        return
    band.objects.bulk_create(
        band(price_class=c, min_wholesale_fen=lo, max_wholesale_fen=hi, effective_from=datetime.date(2020, 1, 1))
        for c, lo, hi in DEFAULT_BANDS
    )


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]
    operations = [migrations.RunPython(create_bands, migrations.RunPython.noop)]
