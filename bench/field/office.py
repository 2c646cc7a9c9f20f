"""The office's company-wide reads and writes: the allocation preview, the credit grades' recompute and coverage,
each against a plain SQL statement over the same rows."""

import datetime

from django.db import connection, transaction

from bench.field.timing import REPETITIONS, figures, median_timed, raw_fetch
from bench.runner import (
    BenchError,
)

COVERAGE_DAYS = 28

GROUP_BASELINE_SQL = """
SELECT tier, market_type, count(*) FROM accounts_retailer
WHERE org_unit_id IN (SELECT id FROM users_orgunit WHERE path LIKE %s) GROUP BY 1, 2
"""
UPDATE_BASELINE_SQL = "UPDATE accounts_retailer SET credit_grade = credit_grade"
COVERAGE_BASELINE_SQL = """
SELECT manager_id, route_id, count(*) FROM visits_visitplan WHERE planned_on BETWEEN %s AND %s GROUP BY 1, 2
"""


def allocation_preview_measure(plan) -> dict:
    from sales.allocation.selectors import allocation_preview

    path = plan.org_unit.path + "%"
    allocation_preview(plan=plan)  # warm-up
    base, groups = median_timed(lambda: raw_fetch(GROUP_BASELINE_SQL, [path]), REPETITIONS)
    measured, preview = median_timed(lambda: allocation_preview(plan=plan), REPETITIONS)
    in_scope = sum(n for _tier, _market, n in groups)
    counted = preview["retailers"] + sum(b["retailers"] for b in preview["blocked"])
    if counted > in_scope:
        raise BenchError(f"the preview counts {counted:,} retailers, the plan's unit holds {in_scope:,}")
    b, m = figures(base), figures(measured)
    return {
        "baseline": {
            "what": "SELECT tier, market_type, count(*) FROM accounts_retailer GROUP BY 1, 2 (unit scope)",
            "groups": len(groups),
            **b,
        },
        "measured": {
            "what": f"allocation_preview of plan #{plan.pk} ({plan.org_unit}, {plan.cycle_start})",
            "retailers": preview["retailers"],
            "total_cartons": preview["total"],
            **m,
        },
        "ratio": m["seconds"] / b["seconds"],
        "retailers_in_scope": in_scope,
    }


def credit_recompute_measure(today: datetime.date) -> dict:
    from accounts.compliance.services import credit_grades_recompute

    def update():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(UPDATE_BASELINE_SQL)
            return cursor.rowcount

    first_changes = len(credit_grades_recompute(today=today))  # brings the grades up to date (untimed)
    base, rows = median_timed(update, REPETITIONS)
    measured, changed = median_timed(lambda: credit_grades_recompute(today=today), REPETITIONS)
    if changed:
        raise BenchError(f"a repeated credit recompute still changed {len(changed)} grades")
    b, m = figures(base), figures(measured)
    return {
        "baseline": {"what": UPDATE_BASELINE_SQL + " (every row, committed)", "rows": rows, **b},
        "measured": {
            "what": "credit_grades_recompute of every retailer (one UPDATE … FROM graded, committed)",
            "changed_before_timing": first_changes,
            **m,
        },
        "ratio": m["seconds"] / b["seconds"],
    }


def coverage_measure(admin, today: datetime.date) -> dict:
    from visits.coverage.selectors import coverage

    day_from = today - datetime.timedelta(days=COVERAGE_DAYS - 1)
    coverage(user=admin, day_from=day_from, day_to=today)  # warm-up
    base, groups = median_timed(lambda: raw_fetch(COVERAGE_BASELINE_SQL, [day_from, today]), REPETITIONS)
    measured, rows = median_timed(lambda: coverage(user=admin, day_from=day_from, day_to=today), REPETITIONS)
    plans = sum(n for *_key, n in groups)
    if not plans:
        raise BenchError("the period holds no visit plans")
    if sum(r.planned for r in rows) != plans:
        raise BenchError(
            f"coverage counts {sum(r.planned for r in rows):,} plans, the period holds {plans:,}"
        )
    b, m = figures(base), figures(measured)
    return {
        "baseline": {
            "what": "SELECT manager_id, route_id, count(*) FROM visits_visitplan (period) GROUP BY 1, 2",
            **b,
        },
        "measured": {
            "what": f"coverage of {day_from}…{today} for the whole company",
            "rows": len(rows),
            "visits": sum(r.visits for r in rows),
            **m,
        },
        "ratio": m["seconds"] / b["seconds"],
        "plans": plans,
    }
