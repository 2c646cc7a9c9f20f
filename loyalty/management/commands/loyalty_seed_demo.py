"""`manage.py loyalty_seed_demo [--if-empty]`: loyalty demo data for the demo retailers and orders."""

from django.core.management.base import BaseCommand

from loyalty.demo import demo_loyalty_build
from loyalty.ledger.models import PointsEntry


class Command(BaseCommand):
    help = "Earn rule, rewards catalog, levels and points for the demo orders; a few redemptions, coupons, referrals."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the ledger holds entries"
        )
        parser.add_argument("--seed", type=int, default=7, help="random seed, for repeatable data")

    def handle(self, *args, if_empty, seed, **options):
        if if_empty and PointsEntry.objects.exists():
            self.stdout.write("Loyalty demo data already present; nothing to do.")
            return
        result = demo_loyalty_build(seed=seed, stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loyalty demo: {result['redemptions']} redemptions, {result['coupons']} coupons, "
                f"{result['referrals']} referrals"
            )
        )
