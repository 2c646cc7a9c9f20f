"""Every write of field work: plan generation, visit records, cultivation programmes and their targets."""

from visits.services.cultivation import (
    programme_create,
    programme_targets_add,
    programme_targets_by_rule,
    programme_targets_remove,
)
from visits.services.plans import plans_generate, week_monday
from visits.services.records import coverage_export_log, visit_record
from visits.services.trust import visit_review

__all__ = [
    "coverage_export_log",
    "plans_generate",
    "programme_create",
    "programme_targets_add",
    "programme_targets_by_rule",
    "programme_targets_remove",
    "visit_record",
    "visit_review",
    "week_monday",
]
