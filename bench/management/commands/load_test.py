"""`manage.py load_test [--users N --seconds S …]`: the Locust load test against gunicorn on the production
settings at the configured database (`make load`). See bench/load.py and the README's "Load test"."""

import os

from django.core.management.base import BaseCommand, CommandError

from bench import load


class Command(BaseCommand):
    help = "Run the Locust load test against gunicorn (production settings) on 127.0.0.1 and print p50/p95 per page."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=int(os.environ.get("LOAD_USERS", "200")))
        parser.add_argument("--seconds", type=int, default=int(os.environ.get("LOAD_SECONDS", "120")))
        parser.add_argument("--spawn-rate", type=int, default=20, help="users started per second")
        parser.add_argument(
            "--max-requests",
            type=int,
            default=int(os.environ.get("LOAD_MAX_REQUESTS", "100000")),
            help="the run stops after this many requests, whatever the time left",
        )
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "3")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "2")))
        parser.add_argument("--password", default=os.environ.get("LOAD_PASSWORD", "crm-demo-2026"))
        parser.add_argument("--json", dest="json_path", default="artifacts/load.json")

    def handle(self, *args, **options):
        try:
            result = load.run(
                users=options["users"],
                seconds=options["seconds"],
                spawn_rate=options["spawn_rate"],
                max_requests=options["max_requests"],
                workers=options["workers"],
                threads=options["threads"],
                password=options["password"],
                stdout=self.stdout,
            )
        except load.LoadError as exc:
            raise CommandError(str(exc)) from exc
        load.write_json(result, options["json_path"])
        for line in load.summary_lines(result):
            self.stdout.write(line)
        self.stdout.write(f"written to {options['json_path']}")
