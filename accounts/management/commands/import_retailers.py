from accounts.imports.command import ImportCommand


class Command(ImportCommand):
    help = "Import retailers from a CSV (UTF-8/GBK/GB18030) or XLSX file, upserting by licence number."
    kind = "retailers"
