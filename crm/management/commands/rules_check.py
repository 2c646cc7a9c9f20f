"""`manage.py rules_check [--today YYYY-MM-DD]`: report every stored derived value that disagrees with its rule;
exits with status 1 when any does (for a nightly job or CI)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from crm.rules_check import rules_check_run


class Command(BaseCommand):
    help = "Report rows whose stored credit grade, class code, scores or membership level disagree with their rule."

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="the day date-dependent rules are judged on (YYYY-MM-DD; default: today)",
        )

    def handle(self, *args, today, **options):
        checks = rules_check_run(today=today)
        for check in checks:
            line = f"{check.name}: {check.count} rows disagree with {check.rule}"
            if check.count:
                line += f" — e.g. {check.sample}"
                if check.detail:
                    line += f" {check.detail}"
            self.stdout.write(line)
        total = sum(c.count for c in checks)
        if total:
            raise CommandError(f"{total} rows disagree with their rule")
        self.stdout.write(self.style.SUCCESS("Every checked row follows its rule."))
