"""Reads of violations and credit grades, always through the accounts scoping."""

import calendar
import datetime
import itertools

from django.db import connection
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.compliance.models import VIOLATION_ADVICE, CreditRule, Violation
from accounts.models import Retailer, RetailerEvent
from accounts.selectors import retailer_scope
from users.models import User

# Each retailer's grade under a credit rule (see CreditRule): points of its non-voided violations in the window and
# whole months clean since the last one (or since registration). The services write it; rules_check compares it.
CREDIT_GRADED_SQL = """
WITH facts AS (
  SELECT r.id, r.credit_grade,
         coalesce(sum(CASE v.type {cases} ELSE 0 END) FILTER (WHERE v.occurred_on > %(window_start)s), 0) AS points,
         coalesce(max(v.occurred_on), (r.created_at AT TIME ZONE %(tz)s)::date) AS clean_since
  FROM accounts_retailer r
  LEFT JOIN accounts_violation v ON v.retailer_id = r.id AND v.voided_at IS NULL AND v.occurred_on <= %(today)s
  {where}
  GROUP BY r.id
), graded AS (
  SELECT id, credit_grade AS old_grade,
         CASE WHEN points = 0 AND months >= %(aaa)s THEN 'AAA'
              WHEN points = 0 AND months >= %(aa)s THEN 'AA'
              WHEN points <= %(a)s THEN 'A'
              WHEN points <= %(b)s THEN 'B'
              WHEN points <= %(c)s THEN 'C'
              ELSE 'D' END AS grade
  FROM (SELECT *, (extract(year FROM age(%(today)s, clean_since)) * 12
                   + extract(month FROM age(%(today)s, clean_since)))::int AS months FROM facts) f
)
"""


def _months_before(day: datetime.date, months: int) -> datetime.date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def credit_graded_parameters(
    *, rule: CreditRule, today: datetime.date, retailer_ids: list[int] | None = None
) -> tuple[str, str, dict]:
    """(CASE arms of the points per type, the WHERE narrowing to `retailer_ids`, the parameters) for
    CREDIT_GRADED_SQL. Violations count while dated after `today` minus the window."""
    from django.utils import timezone

    cases = " ".join(f"WHEN '{t}' THEN {int(rule.points_for(t))}" for t in Violation.Type.values)
    where = "WHERE r.id = ANY(%(ids)s)" if retailer_ids is not None else ""
    params = {
        "window_start": _months_before(today, rule.window_months),
        "today": today,
        "tz": timezone.get_current_timezone_name(),
        "aaa": rule.aaa_clean_months,
        "aa": rule.aa_clean_months,
        "a": rule.a_max_points,
        "b": rule.b_max_points,
        "c": rule.c_max_points,
        "ids": [int(i) for i in retailer_ids or []],
    }
    return cases, where, params


def credit_grade_disagreements(*, today: datetime.date, sample: int = 10) -> tuple[int, list[tuple]]:
    """(how many retailers hold a grade the active credit rule would change, a few of them as (id, stored, rule)).
    Read-only: the same statement as the recompute, without its UPDATE."""
    rule = CreditRule.objects.filter(is_active=True).first()
    if rule is None:
        return 0, []
    cases, where, params = credit_graded_parameters(rule=rule, today=today)
    # the CASE arms are the model's own choice values and integers: no outside input
    sql = CREDIT_GRADED_SQL.format(cases=cases, where=where) + (  # noqa: S608
        "SELECT count(*) OVER (), id, old_grade, grade FROM graded WHERE old_grade <> grade ORDER BY id LIMIT %(n)s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "n": sample})
        rows = cursor.fetchall()
    return (rows[0][0] if rows else 0), [tuple(r[1:]) for r in rows]


def violation_list(*, user: User, filters: dict | None = None) -> QuerySet[Violation]:
    """The violations of the user's retailers, newest first; filters: q (shop, licence, customer code), type,
    source, penalty, status (active/void), since, until, retailer."""
    filters = filters or {}
    qs = Violation.objects.filter(retailer__in=retailer_scope(user=user)).select_related(
        "retailer", "recorded_by", "voided_by"
    )
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(
            Q(retailer__shop_name__icontains=q) | Q(retailer__licence_no=q) | Q(retailer__customer_code=q)
        )
    allowed = {
        "type": Violation.Type.values,
        "source": Violation.Source.values,
        "penalty": Violation.Penalty.values,
    }
    for name, values in allowed.items():
        value = filters.get(name)
        if value and value in values:
            qs = qs.filter(**{name: value})
    if filters.get("status") == "active":
        qs = qs.filter(voided_at__isnull=True)
    elif filters.get("status") == "void":
        qs = qs.filter(voided_at__isnull=False)
    for name, lookup in (("since", "occurred_on__gte"), ("until", "occurred_on__lte")):
        value = filters.get(name)
        if isinstance(value, str):
            value = parse_date_or_none(value)
        if value:
            qs = qs.filter(**{lookup: value})
    if str(filters.get("retailer") or "").isdigit():
        qs = qs.filter(retailer_id=int(filters["retailer"]))
    return qs.order_by("-occurred_on", "-id")


def parse_date_or_none(value: str):
    import datetime

    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def violation_get(*, user: User, violation_id: int) -> Violation:
    qs = Violation.objects.filter(retailer__in=retailer_scope(user=user)).select_related("retailer")
    return get_object_or_404(qs, pk=violation_id)


def retailer_credit_history(*, retailer: Retailer, limit: int = 20) -> list[dict]:
    """The retailer's credit-grade changes, newest first, from the history the database triggers keep."""
    events = list(
        RetailerEvent.objects.filter(pgh_obj_id=retailer.pk)
        .order_by("pgh_id")
        .values_list("pgh_created_at", "credit_grade")
    )
    changes = []
    for (_at, before), (at, after) in itertools.pairwise(events):
        if before != after:
            changes.append({"at": at, "old": before, "new": after})
    return changes[::-1][:limit]


def violation_advice(violation_type: str) -> str:
    return str(VIOLATION_ADVICE.get(violation_type, VIOLATION_ADVICE[Violation.Type.OTHER]))


def violation_reminder_texts(*, retailer_ids: list[int]) -> dict[int, str]:
    """{{ violation }} in campaign templates: the retailer's latest standing violation and what to fix."""
    latest = (
        Violation.objects.filter(retailer_id__in=retailer_ids, voided_at__isnull=True)
        .order_by("retailer_id", "-occurred_on", "-id")
        .distinct("retailer_id")
    )
    texts = dict.fromkeys(retailer_ids, "")
    for v in latest:
        texts[v.retailer_id] = f"{v.occurred_on:%m月%d日}{v.get_type_display()}，{violation_advice(v.type)}"
    return texts


def class_code_disagreements(*, sample: int = 10) -> tuple[int, list[int]]:
    """Retailers whose class code is not market type + format + scale. The column is generated by PostgreSQL from
    those three, so this is always 0; rules_check asks anyway, so a later change of the column cannot slip by."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) OVER (), id FROM accounts_retailer "
            "WHERE class_code IS DISTINCT FROM market_type || business_format || scale ORDER BY id LIMIT %s",
            [sample],
        )
        rows = cursor.fetchall()
    return (rows[0][0] if rows else 0), [r[1] for r in rows]
