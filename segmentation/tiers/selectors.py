"""Reads of the tier engine's rows through the accounts scoping: proposals, their lines, the tier history and the
distribution of tiers."""

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Retailer
from accounts.selectors import retailer_get, retailer_scope
from segmentation.tiers.models import TIER_COUNT, TierChange, TierProposal, TierProposalLine
from users.models import User


def tier_proposal_list(*, user: User) -> QuerySet[TierProposal]:
    """Proposals of the user's territory: an admin sees all; others those graded over their org unit, a unit above
    it or one below it (the lines themselves are read through retailer_scope)."""
    qs = TierProposal.objects.select_related("created_by", "published_by", "org_unit")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_company_admin:
        return qs
    if not user.org_unit_id:
        return qs.none()
    path = user.org_unit.path
    ancestors = [f"/{'/'.join(path.strip('/').split('/')[:i])}/" for i in range(1, path.count("/"))]
    return qs.filter(Q(org_unit__path__startswith=path) | Q(org_unit__path__in=ancestors))


def tier_proposal_get(*, user: User, proposal_id: int) -> TierProposal:
    return get_object_or_404(tier_proposal_list(user=user), pk=proposal_id)


def tier_proposal_lines(*, user: User, proposal: TierProposal) -> QuerySet[TierProposalLine]:
    return proposal.lines.filter(retailer__in=retailer_scope(user=user).values("id")).select_related(
        "retailer"
    )


def tier_change_list(*, user: User, status: str | None = None) -> QuerySet[TierChange]:
    qs = TierChange.objects.filter(retailer__in=retailer_scope(user=user).values("id")).select_related(
        "retailer", "requested_by", "approved_by"
    )
    return qs.filter(status=status) if status else qs


def tier_change_get(*, user: User, change_id: int) -> TierChange:
    return get_object_or_404(tier_change_list(user=user), pk=change_id)


def retailer_tier_changes(*, user: User, retailer_id: int, limit: int = 10) -> list[TierChange]:
    retailer = retailer_get(user=user, retailer_id=retailer_id)
    return list(
        TierChange.objects.filter(retailer=retailer).select_related("requested_by", "approved_by")[:limit]
    )


def tier_distribution(*, retailers) -> list[tuple[int | None, int]]:
    """(tier, retailers) of a scoped retailer queryset, every tier listed best first, then the untiered."""
    counts = dict(
        retailers.filter(merged_into__isnull=True)
        .exclude(status=Retailer.Status.CLOSED)
        .values("tier")
        .annotate(n=Count("id"))
        .values_list("tier", "n")
    )
    return [(t, counts.get(t, 0)) for t in range(TIER_COUNT, 0, -1)] + [(None, counts.get(None, 0))]
