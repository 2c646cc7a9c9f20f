"""Reads of violations and credit grades, always through the accounts scoping."""

import itertools

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import VIOLATION_ADVICE, Retailer, RetailerEvent, Violation
from accounts.selectors import retailer_scope
from users.models import User


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
