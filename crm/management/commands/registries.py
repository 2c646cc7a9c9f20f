"""List every registry through which a lower app is extended by higher ones (core.registry), with its entries."""

from django.core.management.base import BaseCommand

from core.registry import registries


class Command(BaseCommand):
    help = (
        "List every registry (declared by a lower app, filled by higher apps) and what is registered in it."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="only this registry")

    def handle(self, *args, name=None, **options):
        shown = [r for r in registries() if name in (None, r.name)]
        if name and not shown:
            self.stderr.write(f"no registry named {name!r}; known: {', '.join(r.name for r in registries())}")
            return
        for registry in shown:
            self.stdout.write(
                f"{registry.name} (declared by {registry.owner}, {len(registry)} entries): {registry.doc}"
            )
            for key, value in registry.items():
                label = ".".join(key) if isinstance(key, tuple) else str(key)
                self.stdout.write(f"  {label}  [{registry.registered_by(key)}]  {value}")
