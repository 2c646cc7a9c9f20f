"""The portrait's first screen (`portrait_summary`): what it shows beside the licence and the tier, each fact from
the app that owns it."""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
)
from django.utils import timezone

from accounts.models import Retailer
from feedback.complaints.models import Complaint
from feedback.complaints.selectors import overdue_q
from segmentation.scoring.models import RetailerScore

User = get_user_model()


# --- the portrait's first screen ---------------------------------------------------------------------------------
@dataclass
class PortraitSummary:
    lifecycle: str  # label, "" before the first scoring run
    lifecycle_code: str
    churn_pct: int | None
    allowance: str  # "黄鹤楼（软蓝） 2条、中华（硬） 1条" this cycle, "" when none
    open_cases: int
    overdue_cases: int
    points: int | None  # None: no points account
    level: str


def portrait_summary(
    *, user: User, retailer: Retailer, today: datetime.date | None = None
) -> PortraitSummary:
    """What the portrait shows on its first screen beside the licence and the tier, from the apps that own each
    fact: lifecycle (segmentation), this cycle's allowance (sales.allocation), open complaints the user may see
    (feedback), points (loyalty). `retailer` comes from retailer_get, so it is in the user's scope."""
    from feedback.complaints.selectors import complaint_scope
    from loyalty.ledger.models import PointsAccount
    from sales.allocation.selectors import allowance_texts

    today = today or timezone.localdate()
    score = RetailerScore.objects.filter(retailer=retailer).values("lifecycle", "churn_probability").first()
    cases = complaint_scope(user=user).filter(retailer=retailer, status__in=Complaint.OPEN_STATUSES)
    counts = cases.aggregate(open=Count("pk"), overdue=Count("pk", filter=overdue_q(now=timezone.now())))
    account = (
        PointsAccount.objects.filter(retailer=retailer).values("balance", "level__name").first()
        if user.has_perm("loyalty.view_pointsaccount")
        else None
    )
    allowance = (
        allowance_texts(retailer_ids=[retailer.pk], day=today).get(retailer.pk, "")
        if user.has_perm("sales.view_allocationplan")
        else ""
    )
    lifecycle = (score or {}).get("lifecycle") or ""
    churn = (score or {}).get("churn_probability")
    return PortraitSummary(
        lifecycle=RetailerScore.Lifecycle(lifecycle).label if lifecycle else "",
        lifecycle_code=lifecycle,
        churn_pct=round(churn * 100) if churn is not None else None,
        allowance=allowance,
        open_cases=counts["open"],
        overdue_cases=counts["overdue"],
        points=account["balance"] if account else None,
        level=(account or {}).get("level__name") or "",
    )
