"""Show the order history's month partitions and run their upkeep by hand (beat runs it nightly)."""

import datetime
import json

from django.core.management.base import BaseCommand
from django.db import connection

from sales.partitions import history_months, history_partitions_maintain


class Command(BaseCommand):
    help = (
        "The order history's month partitions: the months held, any left detached by an archive that failed; "
        "--maintain makes the months ahead and archives those past --retention-years (default ORDER_RETENTION_YEARS)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--maintain", action="store_true", help="make the months ahead, archive the old ones"
        )
        parser.add_argument("--retention-years", type=int, default=None)
        parser.add_argument("--today", type=datetime.date.fromisoformat, default=None)

    def handle(self, *args, **options):
        if options["maintain"]:
            report = history_partitions_maintain(
                today=options["today"], retention_years=options["retention_years"]
            )
            self.stdout.write(json.dumps(report, ensure_ascii=False))
        with connection.cursor() as cursor:
            months = history_months(cursor=cursor)
            detached = history_months(cursor=cursor, attached=False)
        if months:
            self.stdout.write(f"months: {len(months)}, {months[0]:%Y-%m} … {months[-1]:%Y-%m}")
        else:
            self.stdout.write("months: none")
        if detached:
            self.stdout.write(f"detached, not yet archived: {', '.join(f'{m:%Y-%m}' for m in detached)}")
