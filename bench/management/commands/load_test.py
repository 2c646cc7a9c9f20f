"""`manage.py load_test [--users N[,N…] --seconds S …]`: the Locust load test against gunicorn on the production
settings at the configured database, with a campaign sending beside it (`make load`). Several user counts (e.g.
`--users 25,50,100,200`) run one after the other and end with the capacity: the most users whose pages were all
under the p95 target. See bench/load/ and the README's "Load test"."""

import os

from django.core.management.base import BaseCommand, CommandError

from bench.load.report import capacity, capacity_lines, summary_lines, write_json
from bench.load.run import run as load_run
from bench.runner import LoadError


class Command(BaseCommand):
    help = (
        "Run the Locust load test against gunicorn (production settings) on 127.0.0.1 beside a campaign and print "
        "p50/p95 per page type, server time per page type and the send rate."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--users",
            default=os.environ.get("LOAD_USERS", "200"),
            help="simulated users; several separated by commas run one after the other",
        )
        parser.add_argument("--seconds", type=int, default=int(os.environ.get("LOAD_SECONDS", "240")))
        parser.add_argument(
            "--ramp-seconds",
            type=int,
            default=int(os.environ.get("LOAD_RAMP_SECONDS", "60")),
            help="the users log in one after the other over this many seconds; the steady figures start after",
        )
        parser.add_argument(
            "--max-requests",
            type=int,
            default=int(os.environ.get("LOAD_MAX_REQUESTS", "100000")),
            help="the run stops after this many requests, whatever the time left",
        )
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "3")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "4")))
        parser.add_argument("--password", default=os.environ.get("LOAD_PASSWORD", "crm-demo-2026"))
        parser.add_argument("--no-campaign", action="store_true", help="no campaign sending beside the load")
        parser.add_argument(
            "--think-scale",
            type=float,
            default=float(os.environ.get("LOAD_THINK_SCALE", "1")),
            help="every pause between a person's clicks times this (1: the documented pace)",
        )
        parser.add_argument("--json", dest="json_path", default="artifacts/load.json")

    def handle(self, *args, **options):
        try:
            counts = [int(n) for n in str(options["users"]).split(",") if n.strip()]
        except ValueError as exc:
            raise CommandError("--users: a number, or numbers separated by commas") from exc
        results = []
        for users in counts:
            try:
                result = load_run(
                    users=users,
                    seconds=options["seconds"],
                    ramp_seconds=options["ramp_seconds"],
                    max_requests=options["max_requests"],
                    workers=options["workers"],
                    threads=options["threads"],
                    password=options["password"],
                    campaign=not options["no_campaign"],
                    think_scale=options["think_scale"],
                    stdout=self.stdout,
                )
            except LoadError as exc:
                raise CommandError(str(exc)) from exc
            results.append(result)
            for line in summary_lines(result):
                self.stdout.write(line)
        output = results[0] if len(results) == 1 else {"runs": results, "capacity": capacity(results)}
        write_json(output, options["json_path"])
        if len(results) > 1:
            for line in capacity_lines(output["capacity"]):
                self.stdout.write(line)
        self.stdout.write(f"written to {options['json_path']}")
