"""The writes of coverage: the audit of its exports."""

from users.models import User
from visits.coverage.models import CoverageExport


def coverage_export_log(*, user: User, filters: dict, row_count: int) -> CoverageExport:
    return CoverageExport.objects.create(user=user, filters=filters, row_count=row_count)
