from accounts.imports.command import ImportCommand


class Command(ImportCommand):
    help = "Import order lines from a CSV or XLSX file (one row per line), upserting orders by number."
    kind = "orders"
