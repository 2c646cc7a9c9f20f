"""Reads of tier appeals: scoped by the retailer's territory (accounts.selectors.retailer_scope)."""

from django.db.models import Case, QuerySet, Value, When

from accounts.selectors import retailer_scope
from feedback.appeals.models import TierAppeal
from users.models import User


def tier_appeal_scope(*, user: User) -> QuerySet[TierAppeal]:
    if not user.is_authenticated or not user.is_active:
        return TierAppeal.objects.none()
    return TierAppeal.objects.filter(retailer__in=retailer_scope(user=user))


def tier_appeal_list(*, user: User, outcome: str | None = None) -> QuerySet[TierAppeal]:
    """The user's retailers' appeals, open ones first (soonest deadline first), then the decided, newest first."""
    qs = tier_appeal_scope(user=user).select_related(
        "retailer", "complaint", "decided_by", "tier_change", "proposal"
    )
    if outcome in TierAppeal.Outcome.values:
        qs = qs.filter(outcome=outcome)
    open_first = Case(When(outcome=TierAppeal.Outcome.PENDING, then=Value(0)), default=Value(1))
    return qs.order_by(open_first, "complaint__resolution_due", "-id")


def retailer_tier_appeals(*, retailer, limit: int = 5) -> list[TierAppeal]:
    """The retailer's own appeals for its hub, newest first."""
    return list(
        TierAppeal.objects.filter(retailer=retailer)
        .select_related("complaint", "tier_change")
        .order_by("-id")[:limit]
    )
