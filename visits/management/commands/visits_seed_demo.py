"""`manage.py visits_seed_demo [--if-empty]`: plans, visits and a cultivation programme for the demo retailers."""

from django.core.management.base import BaseCommand

from visits.demo import demo_visits_build
from visits.models import VisitPlan


class Command(BaseCommand):
    help = "Visit plans (last four weeks to next week), visits for most past plans, a brand cultivation programme."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="do nothing when plans exist")
        parser.add_argument("--seed", type=int, default=7, help="random seed, for repeatable data")

    def handle(self, *args, if_empty, seed, **options):
        if if_empty and VisitPlan.objects.exists():
            self.stdout.write("Visits demo data already present; nothing to do.")
            return
        demo_visits_build(seed=seed, stdout=self.stdout)
