"""`manage.py bench NAME --scale tiny|small|province --json FILE`: the DESIGN.md performance targets.

Each benchmark measures the app and its own baseline in one run and writes the figures and their ratio as JSON.
A benchmark that finds the app misbehaving (e.g. an unfiltered COUNT(*)) exits non-zero after writing the file.
"""

import importlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from bench.runner import (
    SCALES,
    BenchError,
    bench_devices_remove,
    ensure_migrated,
    ensure_static_collected,
    write_json,
)

# name -> module with run(scale=..., iterations=..., seed=..., stdout=...) -> dict and summary_lines(dict)
BENCHMARKS = {
    "api": "bench.api.benchmark",
    "cockpit": "bench.cockpit",
    "dispatch": "bench.dispatch",
    "field": "bench.field.benchmark",
    "import": "bench.imports.benchmark",
    "loyalty": "bench.loyalty",
    "memory": "bench.memory",
    "rescore": "bench.rescore",
    "scaling": "bench.scaling",
}
# Named in DESIGN.md, still to be written (none at the moment).
PLANNED: tuple[str, ...] = ()


class Command(BaseCommand):
    help = "Run one benchmark of DESIGN.md's performance targets and write its figures as JSON."

    def add_arguments(self, parser):
        parser.add_argument("name", help=f"which benchmark: {', '.join(BENCHMARKS)}")
        parser.add_argument(
            "--scale",
            default="small",
            choices=list(SCALES),
            help=", ".join(f"{name} = {n:,} retailers" for name, n in SCALES.items()),
        )
        parser.add_argument("--json", dest="json_path", metavar="FILE", help="write the result here")
        parser.add_argument(
            "--iterations", type=int, default=200, help="timed requests per target (at least)"
        )
        parser.add_argument("--seed", type=int, default=20261123, help="random seed for the filter mix")
        parser.add_argument(
            "--against",
            metavar="FILE",
            help="bench scaling only: the JSON of a run at another scale, to compare each page's p95 with",
        )

    def handle(self, *args, name, scale, json_path, iterations, seed, against, **options):
        if name not in BENCHMARKS:
            planned = f" ('{name}' is planned but not written yet)" if name in PLANNED else ""
            raise CommandError(
                f"Unknown benchmark '{name}'{planned}. Known: {', '.join(sorted(BENCHMARKS))}."
            )
        if iterations < 1:
            raise CommandError("--iterations must be at least 1")
        if against and name != "scaling":
            raise CommandError("--against compares two runs of `bench scaling` only")
        extra = {"against": against} if against else {}
        module = importlib.import_module(BENCHMARKS[name])
        # Query logging under DEBUG would distort every figure: measure with DEBUG off whatever the settings.
        with override_settings(DEBUG=False):
            try:
                ensure_migrated()
                ensure_static_collected()
                result = module.run(
                    scale=scale, iterations=iterations, seed=seed, stdout=self.stdout, **extra
                )
            except BenchError as exc:
                if json_path:
                    measured = exc.result or {}  # the figures taken before the failure, when there are any
                    write_json(
                        json_path, {**measured, "name": name, "scale": scale, "ok": False, "error": str(exc)}
                    )
                raise CommandError(f"bench {name}: {exc}") from exc
            finally:
                bench_devices_remove()  # the two-factor devices the bench's logins used (bench.runner.staff_client)
        result["settings"] = {"module": settings.SETTINGS_MODULE, "debug_while_measuring": False}
        result["ok"] = True
        if json_path:
            write_json(json_path, result)
        for line in module.summary_lines(result):
            self.stdout.write(line)
        if json_path:
            self.stdout.write(f"  written to {json_path}")
