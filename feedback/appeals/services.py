"""Tier appeals (档位异议): filed by the retailer from its hub, decided by a supervisor.

- Filing opens a complaint of the category "tier_appeal" (its deadlines in working hours, routing to the
  supervisor, public timeline) and a TierAppeal naming the tier and the published proposal it is about. One open
  appeal per retailer; a double submission files one.
- Deciding needs feedback.decide_tierappeal and the retailer in the decider's territory (404 otherwise). "Uphold"
  logs the decision in the tier history (segmentation.tiers.services.tier_appeal_upheld_record); "change" requests
  the new tier through the engine's manual change path (tier_change_request, source "appeal"), which a second person
  approves before the tier is written. Either way the case is resolved with the decision and its reason, which
  the retailer reads on its hub.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from core.errors import ConflictError
from core.messages import system_message, system_message_text
from feedback import system_texts as texts
from feedback.appeals.models import TIER_APPEAL_CATEGORY, TierAppeal
from feedback.appeals.selectors import tier_appeal_scope
from feedback.complaints.models import Complaint
from feedback.complaints.services.intake import complaint_open_once
from feedback.complaints.services.routing import complaint_assign
from feedback.complaints.services.workflow import complaint_resolve, complaint_start
from segmentation import system_texts as tier_texts
from segmentation.tiers.card import tier_card_line
from segmentation.tiers.models import TIER_COUNT, TierChange
from segmentation.tiers.services import tier_appeal_upheld_record, tier_change_request
from users.models import User

DECIDE_PERMISSION = "feedback.decide_tierappeal"
RESUBMIT_WINDOW = datetime.timedelta(minutes=10)


@transaction.atomic
def tier_appeal_file(*, retailer, description: str) -> tuple[TierAppeal, bool]:
    """File the retailer's appeal (its own words); (appeal, False) for a resubmission of the same text a moment
    ago. ConflictError while another appeal of the retailer is open."""
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": _("请说明您对档位的异议。")})
    open_appeal = (
        TierAppeal.objects.filter(retailer=retailer, outcome=TierAppeal.Outcome.PENDING)
        .select_related("complaint")
        .first()
    )
    if open_appeal is not None:
        recent = timezone.now() - open_appeal.complaint.opened_at < RESUBMIT_WINDOW
        if recent and open_appeal.complaint.description == description:  # a double tap, a resent form
            return open_appeal, False
        raise ConflictError(
            _t("您已有一条档位异议在处理中（编号 %(id)s），请等待答复。") % {"id": open_appeal.complaint_id}
        )
    complaint, _created = complaint_open_once(
        retailer=retailer,
        category_code=TIER_APPEAL_CATEGORY,
        description=description,
        channel=Complaint.Channel.WEB,
    )
    existing = TierAppeal.objects.filter(complaint=complaint).first()
    if existing is not None:  # the same text filed and decided a moment ago
        return existing, False
    line = tier_card_line(retailer_id=retailer.pk)
    try:
        with transaction.atomic():
            appeal = TierAppeal.objects.create(
                complaint=complaint,
                retailer=retailer,
                tier_at_filing=retailer.tier,
                proposal=line.proposal if line else None,
            )
    except IntegrityError as exc:
        raise ConflictError(_t("您已有一条档位异议在处理中，请等待答复。")) from exc
    return appeal, True


def tier_appeal_may_decide(*, user: User) -> bool:
    return user.is_authenticated and user.has_perm(DECIDE_PERMISSION)


@transaction.atomic
def tier_appeal_decide(
    *, user: User, appeal_id: int, outcome: str, reason: str, to_tier: int | None = None
) -> TierAppeal:
    """Decide a pending appeal: uphold (the tier stays, logged in its history) or change (a manual change request
    to `to_tier`, approved by a second person). The case is resolved with the decision for the retailer to read."""
    if not tier_appeal_may_decide(user=user):
        raise PermissionDenied(_t("您没有裁定档位异议的权限。"))
    appeal = (
        tier_appeal_scope(user=user)
        .select_for_update(of=("self",))
        .select_related("retailer", "complaint")
        .filter(pk=appeal_id)
        .first()
    )
    if appeal is None:
        raise Http404
    if appeal.outcome != TierAppeal.Outcome.PENDING:
        raise ConflictError(_t("该档位异议已裁定。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写裁定理由，零售户将看到它。")})
    if outcome not in (TierAppeal.Outcome.UPHELD, TierAppeal.Outcome.CHANGED):
        raise ValidationError({"outcome": _("请选择维持原档或调整档位。")})
    retailer = appeal.retailer
    # the tier history's line: "档位异议 #12：<the supervisor's reason>", worded for each reader
    history = system_message(tier_texts.APPEAL, id=appeal.complaint_id)
    if outcome == TierAppeal.Outcome.CHANGED:
        if not isinstance(to_tier, int) or not 1 <= to_tier <= TIER_COUNT:
            raise ValidationError({"to_tier": _("请选择 1–30 之间的新档位。")})
        change = tier_change_request(
            user=user,
            retailer_id=retailer.pk,
            to_tier=to_tier,
            reason=reason[:200],
            message=history,
            source=TierChange.Source.APPEAL,
        )
        decision = system_message(texts.APPEAL_CHANGED, tier=to_tier)
    else:
        change = tier_appeal_upheld_record(user=user, retailer_id=retailer.pk, reason=reason, message=history)
        to_tier = retailer.tier
        decision = system_message(texts.APPEAL_UPHELD, tier=retailer.tier or "—")
    # the case's resolution is the company's record the retailer reads on its hub: in the company's language
    with translation.override(settings.LANGUAGE_CODE):
        text = system_message_text(decision, text=reason)
    appeal.outcome = outcome
    appeal.decided_tier = to_tier
    appeal.decision_reason = reason[:500]
    appeal.decided_by = user
    appeal.decided_at = timezone.now()
    appeal.tier_change = change
    appeal.save(
        update_fields=[
            "outcome",
            "decided_tier",
            "decision_reason",
            "decided_by",
            "decided_at",
            "tier_change",
        ]
    )
    complaint = appeal.complaint
    if complaint.status == Complaint.Status.NEW or (
        complaint.status == Complaint.Status.ASSIGNED and complaint.assignee_id != user.pk
    ):
        complaint = complaint_assign(complaint=complaint, assignee=user, actor=user)
    if complaint.status == Complaint.Status.ASSIGNED:
        complaint = complaint_start(complaint=complaint, actor=user)
    if complaint.status == Complaint.Status.IN_PROGRESS:
        complaint_resolve(
            complaint=complaint, actor=user, resolution=text, message=decision, message_text=reason
        )
    return appeal
