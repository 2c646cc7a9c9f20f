"""Print the demo logins so a new user can sign in straight after `make run`."""

from django.core.management.base import BaseCommand

from users.demo import DEMO_PASSWORD
from users.models import User


class Command(BaseCommand):
    help = "Print the demo admin, supervisor and customer-manager logins."

    def handle(self, *args, **options):
        rows = []
        for role, limit in ((User.Role.ADMIN, 1), (User.Role.SUPERVISOR, 1), (User.Role.MANAGER, 3)):
            for user in (
                User.objects.filter(role=role).select_related("org_unit").order_by("username")[:limit]
            ):
                rows.append((user.get_role_display(), user.username, str(user), str(user.org_unit or "")))
        if not rows:
            self.stdout.write("No demo logins (run seed_demo).")
            return
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        for role, username, name, unit in rows:
            self.stdout.write(f"  {role:<6} {username:<8} {name} · {unit}")
