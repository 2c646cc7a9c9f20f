from accounts.imports.command import ImportCommand


class Command(ImportCommand):
    help = "Import products (品规) from a CSV or XLSX file, upserting by product code."
    kind = "products"
