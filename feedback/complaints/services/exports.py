"""The audit log of complaint CSV exports (who exported which filter, how many rows)."""

from feedback.complaints.models import ComplaintExport
from users.models import User


def complaint_export_log(*, user: User, filters: dict, row_count: int = 0):
    return ComplaintExport.objects.create(user=user, filters=filters, row_count=row_count)


def complaint_export_count_set(*, export, row_count: int) -> None:
    export.row_count = row_count
    export.save(update_fields=["row_count"])
