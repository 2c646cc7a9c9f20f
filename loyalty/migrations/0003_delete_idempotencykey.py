"""Idempotency keys moved to the base layer (core.IdempotencyKey, one rule for every creating POST): the stored
keys are copied there, with the API endpoints renamed to the request paths the API now records."""

from django.db import migrations

API_ENDPOINTS = ("entries/", "redemptions", "coupons/")


def keys_copy(apps, schema_editor):
    Old = apps.get_model("loyalty", "IdempotencyKey")
    New = apps.get_model("core", "IdempotencyKey")
    New.objects.bulk_create(
        New(
            principal=old.principal,
            key=old.key,
            endpoint=f"/api/v1/loyalty/{old.endpoint}/" if old.endpoint.startswith(API_ENDPOINTS) else old.endpoint,
            request_hash=old.request_hash,
            status_code=old.status_code,
            response=old.response,
            headers={},
            created_at=old.created_at,
        )
        for old in Old.objects.iterator()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0002_default_levels"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(keys_copy, migrations.RunPython.noop),
        migrations.DeleteModel(name="IdempotencyKey"),
    ]
