"""The tier engine's writes (档位): proposals, their publication and manual tier changes. The grading itself is in
tiers.grading.

- Publishing writes every proposed tier in one statement through accounts.services.retailers_tier_set and logs
  one TierChange (source proposal, approved by the publisher) per retailer whose tier changed; the proposal is
  then locked. One published proposal per territory and period.
- A manual change is requested by one user and decided by a different user holding
  segmentation.approve_tierchange; approval writes the tier through the same accounts service.
"""

import datetime
import json

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.selectors import retailer_get
from accounts.services import retailers_tier_set
from core.errors import ConflictError
from core.messages import system_message, system_message_text
from segmentation import system_texts as texts
from segmentation.tiers.grading import tier_period, tier_rule_current, tier_scored_sql
from segmentation.tiers.models import TierChange, TierProposal
from segmentation.tiers.selectors import tier_change_list, tier_proposal_list
from users.models import User

PROPOSE_PERMISSION = "segmentation.add_tierproposal"
PUBLISH_PERMISSION = "segmentation.publish_tierproposal"
REQUEST_PERMISSION = "segmentation.add_tierchange"
APPROVE_PERMISSION = "segmentation.approve_tierchange"

_LINES_INSERT_SQL = """
INSERT INTO segmentation_tierproposalline
  (proposal_id, retailer_id, score, rank, proposed_tier, current_tier, is_new, cartons, amount_fen, avg_price_fen,
   pct_cartons, pct_amount, pct_avg_price, cut_tier)
SELECT %s, retailer_id, score, rank, tier, current_tier, is_new, cartons, amount_fen, avg_price,
       pct_cartons, pct_amount, pct_avg_price, cut_tier
FROM ({scored}) graded
"""


def tier_proposal_may_create(*, user: User) -> bool:
    return user.is_authenticated and user.has_perm(PROPOSE_PERMISSION)


def tier_proposal_may_publish(*, user: User) -> bool:
    return user.is_authenticated and user.has_perm(PUBLISH_PERMISSION)


@transaction.atomic
def tier_proposal_create(*, user: User, period_end: datetime.date | None = None) -> TierProposal:
    """Grade the user's territory for one period into a draft proposal (lines written in one statement)."""
    if not tier_proposal_may_create(user=user):
        raise PermissionDenied(_("您没有生成档位方案的权限。"))
    rule = tier_rule_current()
    rule.full_clean()
    parameters = rule.as_parameters()
    start, end = tier_period(period=rule.period, period_end=period_end)
    proposal = TierProposal.objects.create(
        org_unit=None if user.is_company_admin else user.org_unit,
        period_start=start,
        period_end=end,
        parameters=parameters,
        created_by=user,
    )
    scored_sql, scored_params = tier_scored_sql(user=user, parameters=parameters, start=start, end=end)
    with connection.cursor() as cursor:
        cursor.execute(_LINES_INSERT_SQL.format(scored=scored_sql), [proposal.pk, *scored_params])
        cursor.execute(
            "SELECT proposed_tier, count(*) FROM segmentation_tierproposalline WHERE proposal_id = %s "
            "GROUP BY proposed_tier",
            [proposal.pk],
        )
        proposal.counts = {str(tier): count for tier, count in cursor.fetchall()}
    proposal.retailer_count = sum(proposal.counts.values())
    proposal.save(update_fields=["counts", "retailer_count"])
    return proposal


def _proposal_locked(*, user: User, proposal_id: int) -> TierProposal:
    proposal = tier_proposal_list(user=user).select_for_update(of=("self",)).filter(pk=proposal_id).first()
    if proposal is None:
        raise Http404
    if proposal.status != TierProposal.Status.DRAFT:
        raise ConflictError(_("该档位方案已发布或已作废，不能再修改。"))
    return proposal


_PROPOSAL_CHANGES_SQL = """
INSERT INTO segmentation_tierchange
  (retailer_id, from_tier, to_tier, reason, message, source, proposal_id, status, requested_by_id, approved_by_id,
   requested_at, decided_at)
SELECT c.id, c.old_tier, c.new_tier, '', %s::jsonb, 'proposal', %s, 'approved', %s, %s, %s, %s
FROM unnest(%s::bigint[], %s::smallint[], %s::smallint[]) AS c(id, old_tier, new_tier)
"""


_TIER_EVENTS_SQL = """
INSERT INTO segmentation_scoringevent (retailer_id, run_id, kind, ref_date, detail, at)
SELECT c.id, NULL, 'tier_changed', NULL,
       jsonb_build_object('from', c.old_tier, 'to', c.new_tier, 'source', %s::text), %s
FROM unnest(%s::bigint[], %s::smallint[], %s::smallint[]) AS c(id, old_tier, new_tier)
"""


def _tier_events_insert(*, changed: list[tuple[int, int | None, int]], source: str, at) -> None:
    """One tier_changed event per written change, for the apps that react to tiers (campaign journeys)."""
    if not changed:
        return
    ids, old, new = zip(*changed, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(_TIER_EVENTS_SQL, [source, at, list(ids), list(old), list(new)])


@transaction.atomic
def tier_proposal_publish(*, user: User, proposal_id: int) -> TierProposal:
    """Write a draft proposal's tiers to the retailers, log the changes and lock the proposal. ConflictError if it
    is not a draft or the period already has a published proposal. Records merged into another since the
    proposal was drawn are left as they are."""
    if not tier_proposal_may_publish(user=user):
        raise PermissionDenied(_("您没有发布档位方案的权限。"))
    proposal = _proposal_locked(user=user, proposal_id=proposal_id)
    already = TierProposal.objects.filter(
        org_unit=proposal.org_unit,
        period_start=proposal.period_start,
        period_end=proposal.period_end,
        status=TierProposal.Status.PUBLISHED,
    )
    if already.exists():
        raise ConflictError(_("该期间已有发布的档位方案。"))
    message = system_message(
        texts.PROPOSAL,
        id=proposal.pk,
        start=proposal.period_start.isoformat(),
        end=proposal.period_end.isoformat(),
    )
    with translation.override(settings.LANGUAGE_CODE):  # the audit context's words, in the company's language
        reason = system_message_text(message)
    # A line of a record merged away since the proposal was drawn stays as evidence but writes nothing: the closed
    # duplicate keeps the tier it had when it was closed (segmentation/merge.py, TierProposalLine).
    tiers = dict(
        proposal.lines.filter(retailer__merged_into__isnull=True).values_list("retailer_id", "proposed_tier")
    )
    changed = retailers_tier_set(actor=user, tiers=tiers, reason=reason, message=message)
    now = timezone.now()
    if changed:
        ids, old, new = zip(*changed, strict=True)
        with connection.cursor() as cursor:
            cursor.execute(
                _PROPOSAL_CHANGES_SQL,
                [
                    json.dumps(message),
                    proposal.pk,
                    proposal.created_by_id,
                    user.pk,
                    proposal.created_at,
                    now,
                    *map(list, (ids, old, new)),
                ],
            )
        _tier_events_insert(changed=changed, source=TierChange.Source.PROPOSAL.value, at=now)
    proposal.status = TierProposal.Status.PUBLISHED
    proposal.published_by = user
    proposal.published_at = now
    try:
        with transaction.atomic():
            proposal.save(update_fields=["status", "published_by", "published_at"])
    except IntegrityError as exc:
        raise ConflictError(_("该期间已有发布的档位方案。")) from exc
    return proposal


@transaction.atomic
def tier_proposal_discard(*, user: User, proposal_id: int) -> TierProposal:
    if not tier_proposal_may_publish(user=user):
        raise PermissionDenied(_("您没有作废档位方案的权限。"))
    proposal = _proposal_locked(user=user, proposal_id=proposal_id)
    proposal.status = TierProposal.Status.DISCARDED
    proposal.save(update_fields=["status"])
    return proposal


def tier_change_may_request(*, user: User) -> bool:
    return user.is_authenticated and user.has_perm(REQUEST_PERMISSION)


def tier_change_may_decide(*, user: User) -> bool:
    return user.is_authenticated and user.has_perm(APPROVE_PERMISSION)


@transaction.atomic
def tier_change_request(
    *,
    user: User,
    retailer_id: int,
    to_tier: int,
    reason: str,
    source: str = TierChange.Source.MANUAL,
    message: dict | None = None,
) -> TierChange:
    """Ask for a manual tier change; it takes effect only when a second user approves it. `source` is "appeal" when
    the request answers a retailer's appeal (feedback.appeals.services), whose `message` (core.messages) words
    the history's line around the `reason`."""
    if source not in (TierChange.Source.MANUAL, TierChange.Source.APPEAL):
        raise ValidationError({"source": _("档位调整只能人工申请。")})
    if not tier_change_may_request(user=user):
        raise PermissionDenied(_("您没有申请调整档位的权限。"))
    retailer = retailer_get(user=user, retailer_id=retailer_id)  # 404 outside the territory
    change = TierChange(
        retailer=retailer,
        from_tier=retailer.tier,
        to_tier=to_tier,
        reason=(reason or "").strip(),
        message=message,
        source=source,
        requested_by=user,
        requested_at=timezone.now(),
    )
    change.full_clean(exclude=["retailer", "requested_by"], validate_constraints=False)
    if to_tier == retailer.tier:
        raise ValidationError({"to_tier": _("新档位与现档位相同。")})
    if TierChange.objects.filter(retailer=retailer, status=TierChange.Status.PENDING).exists():
        raise ConflictError(_("该客户已有待审批的档位调整。"))
    try:
        with transaction.atomic():
            change.save()
    except IntegrityError as exc:
        raise ConflictError(_("该客户已有待审批的档位调整。")) from exc
    return change


@transaction.atomic
def tier_change_decide(*, user: User, change_id: int, approve: bool) -> TierChange:
    """Approve (the tier is written) or reject (nothing changes) a pending request; the requester may not decide
    their own request."""
    if not tier_change_may_decide(user=user):
        raise PermissionDenied(_("您没有审批档位调整的权限。"))
    change = tier_change_list(user=user).select_for_update(of=("self",)).filter(pk=change_id).first()
    if change is None:
        raise Http404
    if change.status != TierChange.Status.PENDING:
        raise ConflictError(_("该申请已审批。"))
    if change.requested_by_id == user.pk:
        raise ConflictError(_("档位调整须由申请人以外的另一人审批。"))
    change.approved_by = user
    change.decided_at = timezone.now()
    if approve:
        written = retailers_tier_set(
            actor=user,
            tiers={change.retailer_id: change.to_tier},
            reason=change.reason,
            message=change.message,
        )
        if written:
            change.from_tier = written[0][1]
        _tier_events_insert(changed=written, source=TierChange.Source.MANUAL.value, at=change.decided_at)
        change.status = TierChange.Status.APPROVED
    else:
        change.status = TierChange.Status.REJECTED
    change.save(update_fields=["status", "approved_by", "decided_at", "from_tier"])
    return change


@transaction.atomic
def tier_appeal_upheld_record(
    *, user: User, retailer_id: int, reason: str, message: dict | None = None
) -> TierChange | None:
    """Log that an appeal against the retailer's tier was decided "keep the tier" (from = to, status upheld), so
    the tier history holds the decision. Nothing is written to the retailer; None when it has no tier yet."""
    if not tier_change_may_decide(user=user):
        raise PermissionDenied(_("您没有审批档位调整的权限。"))
    retailer = retailer_get(user=user, retailer_id=retailer_id)
    if retailer.tier is None:
        return None
    now = timezone.now()
    return TierChange.objects.create(
        retailer=retailer,
        from_tier=retailer.tier,
        to_tier=retailer.tier,
        reason=(reason or "").strip()[:200],
        message=message,
        source=TierChange.Source.APPEAL,
        status=TierChange.Status.UPHELD,
        requested_by=user,
        approved_by=user,
        requested_at=now,
        decided_at=now,
    )
