"""Internal to `manage.py bench memory`: one measure in a fresh process (see bench/memory.py), its report as JSON."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from bench.memory import MEASURES, child_measure
from bench.runner import BenchError


class Command(BaseCommand):
    help = "Internal (bench memory): run one measure in this process and write its peak memory as JSON."
    requires_system_checks = []  # the checks' imports would count in every measure's peak

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["baseline", *MEASURES])
        parser.add_argument("--out", required=True, metavar="FILE", help="write the report here")
        parser.add_argument("--file", dest="path", metavar="FILE", help="the file to import")

    def handle(self, *args, what, out, path, **options):
        with override_settings(DEBUG=False):
            try:
                report = child_measure(what, path=path)
            except BenchError as exc:
                raise CommandError(str(exc)) from exc
        Path(out).write_text(json.dumps(report), encoding="utf-8")
