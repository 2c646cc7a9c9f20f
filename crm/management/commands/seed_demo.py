"""Build realistic demo data: `manage.py seed_demo --retailers N`."""

import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.compliance.services import credit_grades_recompute
from accounts.dedupe.services import duplicates_scan
from accounts.demo import demo_retailers_build, demo_retailers_flush, demo_violations_build
from loyalty.demo import demo_loyalty_flush
from sales.allocation.demo import demo_allocation_build
from sales.demo import demo_orders_build, demo_products_build, demo_sales_flush
from segmentation.scoring.services import scoring_run_execute, scoring_run_start
from users.demo import DEMO_PASSWORD, demo_staff_build, demo_staff_flush
from visits.demo import demo_visits_flush


class Command(BaseCommand):
    help = "Create a demo company: org units, staff, routes and N retailers with realistic Chinese data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--retailers", type=int, default=3000, help="how many retailers (100000 = province)"
        )
        parser.add_argument("--if-empty", action="store_true", help="do nothing when retailers already exist")
        parser.add_argument(
            "--flush", action="store_true", help="delete all retailers, staff and org units first"
        )
        parser.add_argument("--weeks", type=int, default=0, help="weeks of order history (52 = a year)")
        parser.add_argument("--seed", type=int, default=20261123, help="random seed, for repeatable data")
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="the day the data ends (YYYY-MM-DD; default: today): with --seed, the same data on any day",
        )

    def handle(self, *args, retailers, if_empty, flush, seed, weeks, today, **options):
        from accounts.models import Retailer
        from users.models import OrgUnit

        if retailers < 1:
            raise CommandError("--retailers must be at least 1")
        if not 0 <= weeks <= 260:
            raise CommandError("--weeks must be between 0 and 260")
        if Retailer.objects.exists() or OrgUnit.objects.exists():
            if if_empty:
                self.stdout.write("Demo data already present; nothing to do.")
                return
            if not flush:
                raise CommandError(
                    "The database already holds data. Use --flush to replace it, or --if-empty."
                )
            with transaction.atomic():
                demo_visits_flush()  # visits and programmes point at retailers and products
                demo_loyalty_flush()  # the ledger points at orders and retailers (and refuses DELETE)
                demo_sales_flush()
                demo_retailers_flush()
                demo_staff_flush()
        started = time.monotonic()
        staff = demo_staff_build(retailers=retailers)
        managers = len({slot["route"].manager_id for slot in staff["routes"]})
        self.stdout.write(
            f"Org tree, 1 admin, {len(staff['counties'])} supervisors, {managers} customer managers, "
            f"{len(staff['routes'])} routes"
        )
        written = demo_retailers_build(
            staff=staff, count=retailers, seed=seed, stdout=self.stdout, today=today
        )
        products = demo_products_build(today=today)
        self.stdout.write(f"{len(products)} products")
        pairs = duplicates_scan()
        self.stdout.write(f"{pairs} suspected duplicate pairs for the data-quality page")
        if weeks:
            orders, lines = demo_orders_build(weeks=weeks, seed=seed, stdout=self.stdout, today=today)
            self.stdout.write(
                f"{orders:,} orders with {lines:,} lines over {weeks} weeks; period summaries built"
            )
            # A first scoring run, so the demo's portraits and lists show classes from the start.
            run = scoring_run_execute(run_id=scoring_run_start(as_of=today).pk)
            self.stdout.write(f"Scoring run #{run.pk}: {run.get_status_display()}")
        plans = demo_allocation_build(today=today)
        violations = demo_violations_build(seed=seed, today=today)
        # the generated credit grades are only a starting mix: the credit rule decides every grade (one UPDATE)
        credit_grades_recompute(today=today)
        self.stdout.write(f"{plans} allocation plans, {violations} violations")
        self.stdout.write(
            self.style.SUCCESS(
                f"{written:,} retailers in {time.monotonic() - started:.1f}s. Demo password for every login: {DEMO_PASSWORD}"
            )
        )
