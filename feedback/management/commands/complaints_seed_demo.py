"""`manage.py complaints_seed_demo [--if-empty]`: demo complaints for the demo retailers."""

from django.core.management.base import BaseCommand

from feedback.complaints.demo import demo_complaints_build
from feedback.complaints.models import Complaint


class Command(BaseCommand):
    help = "About 80 complaints over the last six months, in every state, through the services."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="do nothing when there are complaints")
        parser.add_argument("--seed", type=int, default=11, help="random seed, for repeatable data")

    def handle(self, *args, if_empty, seed, **options):
        if if_empty and Complaint.objects.exists():
            self.stdout.write("Complaint demo data already present; nothing to do.")
            return
        result = demo_complaints_build(seed=seed)
        self.stdout.write(
            self.style.SUCCESS(
                f"Complaints demo: {result['complaints']} cases, {result['escalated']} escalated"
            )
        )
