#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.dev")
    if (
        not os.environ.get("DATABASE_URL")
        and os.environ["DJANGO_SETTINGS_MODULE"] != "crm.settings.production"
    ):
        # As `make run` does: the embedded PostgreSQL under .data/, started if it is not running (it is left
        # running; `python -m crm.embedded_db stop` stops it).
        from crm import embedded_db

        os.environ["DATABASE_URL"] = embedded_db.start()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
