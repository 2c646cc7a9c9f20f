"""The shop facts' key to the retailer cascades in the database (see CASCADE_SQL). A migration of its own: Django adds
0005's foreign keys only when that migration ends."""

from django.db import migrations

# A retailer deleted (the demo flush does; nothing in the product deletes one) takes its facts row with it in the
# database itself: Django deletes the row first, but deleting the shop's call-backs or survey answers in the same
# transaction fires their trigger, which writes the row again before the shop goes.
CASCADE_SQL = """
DO $$
DECLARE
    name text;
BEGIN
    SELECT conname INTO name FROM pg_constraint
    WHERE conrelid = 'visits_shopfacts'::regclass AND confrelid = 'accounts_retailer'::regclass AND contype = 'f';
    EXECUTE format('ALTER TABLE visits_shopfacts DROP CONSTRAINT %I', name);
END
$$;
ALTER TABLE visits_shopfacts ADD CONSTRAINT visits_shopfacts_retailer_cascade FOREIGN KEY (retailer_id)
    REFERENCES accounts_retailer (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;
"""


class Migration(migrations.Migration):
    dependencies = [("visits", "0006_plan_week_visits")]

    operations = [migrations.RunSQL(CASCADE_SQL, migrations.RunSQL.noop)]
