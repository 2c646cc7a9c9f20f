"""`manage.py survey_seed_demo [--if-empty]`: four quarters of demo satisfaction surveys for the demo company."""

from django.core.management.base import BaseCommand, CommandError

from feedback.surveys.demo import demo_surveys_build
from feedback.surveys.models import Survey
from users.models import User


class Command(BaseCommand):
    help = (
        "Quarterly satisfaction surveys per county: sample, invitations, answers, so the report has a trend."
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="do nothing when surveys exist")
        parser.add_argument("--seed", type=int, default=11, help="random seed, for repeatable data")

    def handle(self, *args, if_empty, seed, **options):
        if Survey.objects.exists():
            if if_empty:
                self.stdout.write("Survey demo data already present; nothing to do.")
                return
            raise CommandError("Surveys already exist; run it on a fresh demo database.")
        if not User.objects.filter(role=User.Role.SUPERVISOR).exists():
            raise CommandError("Run seed_demo first: the surveys are run by the demo supervisors.")
        made = demo_surveys_build(seed=seed, stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"Survey demo: {made['surveys']} surveys, {made['responses']} responses")
        )
