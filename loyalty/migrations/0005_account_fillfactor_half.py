"""The award changes the balance of most accounts at once (a week's orders touch ~80% of the retailers), and the
level recompute every account. Half-empty pages (fillfactor 50, was 70) leave room in each page for a new
version of every row on it, so each of these updates stays heap-only (HOT): no index entry is written and the
table does not grow. The table is rewritten once so the rows already there get the room too (VACUUM FULL: it
cannot run in a transaction, hence atomic = False)."""

from django.db import migrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("loyalty", "0004_system_messages"),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE loyalty_pointsaccount SET (fillfactor = 50)",
            "ALTER TABLE loyalty_pointsaccount SET (fillfactor = 70)",
        ),
        migrations.RunSQL("VACUUM FULL loyalty_pointsaccount", migrations.RunSQL.noop),
    ]
