from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Holds `manage.py bench`: the command lives here, not in crm, so crm never imports bench."""

    name = "bench"
    verbose_name = "Benchmarks"
