"""The customer manager's daily list: which of their shops to visit today, ranked, each with its reasons in words.

One query reads every scoring fact of every shop in the manager's scope, each once (the terms are added and the
shops ranked in Python, see _score); a second fetches the recommendations of the shops listed.
The score is the sum of these points (the reasons shown are exactly the terms that scored):

    complaint past its deadline (feedback)            40 each, at most 3 counted
    high-value shop at risk (value class "high" and
      lifecycle at-risk/lost or churn probability ≥ 50%) 35   (a mid-value shop at risk: 15)
    licence expiring within N days, or expired          30   (N = VisitPolicy.licence_warning_days, 30)
    planned for today (visit plans)                     25
    not visited for more than N days, or never          20   (N = VisitPolicy.not_visited_days, 30)
    target of a running cultivation programme whose
      product it has not bought since the start         10 per programme
    store score (终端形象分) of its last scored visit
      below the threshold                               15   (VisitPolicy.store_score_threshold, 60)

Ties go to the shop visited longest ago (never visited first), then the lower id. Shops scoring 0 are left out.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Retailer
from accounts.selectors import retailer_scope
from feedback.models import Complaint
from feedback.selectors.complaints import about_own_conduct_q, overdue_q
from sales.models import Order
from segmentation.models import Recommendation, RetailerScore
from users.models import User
from visits.models import CultivationTarget, Visit, VisitPlan, VisitPolicy
from visits.selectors import policy_get

W_COMPLAINT = 40
MAX_COMPLAINTS_COUNTED = 3
W_HIGH_VALUE_AT_RISK = 35
W_MID_VALUE_AT_RISK = 15
W_LICENCE = 30
W_PLANNED = 25
W_NOT_VISITED = 20
W_CULTIVATION = 10
W_LOW_STORE_SCORE = 15
CHURN_RISK_PROBABILITY = 0.5
AT_RISK_LIFECYCLES = (RetailerScore.Lifecycle.AT_RISK, RetailerScore.Lifecycle.LOST)
RECOMMENDATIONS_SHOWN = 3


@dataclass
class Reason:
    code: str
    points: int
    text: str


@dataclass
class DailyEntry:
    retailer: Retailer
    score: int
    reasons: list[Reason]
    last_visit: datetime.date | None
    planned_today: bool
    recommendations: list[Recommendation] = field(default_factory=list)

    @property
    def map_url(self) -> str:
        """A map link that opens the phone's map app (Retailer.map_url)."""
        return self.retailer.map_url


def _ranked(*, manager: User, today: datetime.date, shops, policy: VisitPolicy | None = None):
    """The manager's shops (`shops`, their scope) with every scoring fact. Each fact is a subquery keyed by
    the one shop (an index lookup per shop and fact), so the cost follows the manager's ~200 shops and never the
    company's visits, plans, complaints or order lines."""
    policy = policy or policy_get()
    score_row = RetailerScore.objects.filter(retailer=OuterRef("pk"))
    bought_since_start = Order.objects.filter(
        retailer=OuterRef("retailer"),
        ordered_on__gte=OuterRef("programme__starts_on"),
        ordered_on__lte=today,
        lines__product=OuterRef("programme__product"),
    )
    unsold = (
        CultivationTarget.objects.filter(
            retailer=OuterRef("pk"), programme__starts_on__lte=today, programme__ends_on__gte=today
        )
        .exclude(Exists(bought_since_start))
        .order_by()
        .values("retailer")
    )
    overdue = (
        Complaint.objects.filter(overdue_q(now=timezone.now()), retailer=OuterRef("pk"))
        .exclude(about_own_conduct_q(user_id=manager.pk))
        .order_by()
        .values("retailer")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Retailer.objects.filter(pk__in=shops)
        .annotate(
            last_visit=Subquery(
                Visit.objects.filter(retailer=OuterRef("pk")).order_by("-visited_on").values("visited_on")[:1]
            ),
            planned_today=Exists(VisitPlan.objects.filter(retailer=OuterRef("pk"), planned_on=today)),
            overdue_complaints=Coalesce(Subquery(overdue), 0),
            value_class=Subquery(score_row.values("value_class")[:1]),
            lifecycle=Subquery(score_row.values("lifecycle")[:1]),
            churn_probability=Subquery(score_row.values("churn_probability")[:1]),
            store_score=Subquery(
                Visit.objects.filter(retailer=OuterRef("pk"), store_score__isnull=False)
                .exclude(trust=Visit.Trust.REJECTED)
                .order_by("-visited_on", "-id")
                .values("store_score")[:1]
            ),
            unsold_products=Subquery(
                unsold.annotate(
                    names=ArrayAgg("programme__product__name", order_by="programme__starts_on")
                ).values("names")
            ),
        )
        .select_related("route")
    )


def _score(r: Retailer, *, today: datetime.date, policy: VisitPolicy) -> None:
    """The points of each term (the p_* attributes) and their sum (`score`), from the facts of `_ranked`.

    In Python, once per shop: in SQL the score's terms would sit in the WHERE, the ORDER BY and the SELECT list,
    and PostgreSQL evaluates every subquery behind them again in each place."""
    r.unsold_names = "、".join(r.unsold_products or [])
    at_risk = r.lifecycle in AT_RISK_LIFECYCLES or (
        r.churn_probability is not None and r.churn_probability >= CHURN_RISK_PROBABILITY
    )
    r.p_complaints = min(r.overdue_complaints, MAX_COMPLAINTS_COUNTED) * W_COMPLAINT
    r.p_risk = (
        (
            (W_HIGH_VALUE_AT_RISK if r.value_class == RetailerScore.ValueClass.HIGH else 0)
            or (W_MID_VALUE_AT_RISK if r.value_class == RetailerScore.ValueClass.MID else 0)
        )
        if at_risk
        else 0
    )
    licence_by = today + datetime.timedelta(days=policy.licence_warning_days)
    r.p_licence = W_LICENCE if r.licence_expires_on is not None and r.licence_expires_on <= licence_by else 0
    r.p_planned = W_PLANNED if r.planned_today else 0
    not_visited_before = today - datetime.timedelta(days=policy.not_visited_days)
    r.p_not_visited = W_NOT_VISITED if r.last_visit is None or r.last_visit < not_visited_before else 0
    r.p_cultivation = len(r.unsold_products or []) * W_CULTIVATION
    below = r.store_score is not None and r.store_score < policy.store_score_threshold
    r.p_store_score = W_LOW_STORE_SCORE if below else 0
    r.score = (
        r.p_complaints
        + r.p_risk
        + r.p_licence
        + r.p_planned
        + r.p_not_visited
        + r.p_cultivation
        + r.p_store_score
    )


def _rank_key(r: Retailer):
    """Highest score first; ties to the shop visited longest ago (never visited first), then the lower id."""
    return (-r.score, r.last_visit is not None, r.last_visit or datetime.date.min, r.pk)


def _reasons(r: Retailer, today: datetime.date, threshold: int) -> list[Reason]:
    reasons = []
    if r.p_complaints:
        reasons.append(
            Reason(
                "complaints",
                r.p_complaints,
                ngettext("%(n)s 条投诉已超过处理时限", "%(n)s 条投诉已超过处理时限", r.overdue_complaints)
                % {"n": r.overdue_complaints},
            )
        )
    if r.p_risk:
        value = _("高价值客户") if r.value_class == RetailerScore.ValueClass.HIGH else _("中价值客户")
        if r.lifecycle in AT_RISK_LIFECYCLES:
            why = RetailerScore.Lifecycle(r.lifecycle).label
        else:
            why = _("流失概率 %(pct)s%%") % {"pct": round(r.churn_probability * 100)}
        reasons.append(
            Reason("at_risk", r.p_risk, _("%(value)s有流失风险（%(why)s）") % {"value": value, "why": why})
        )
    if r.p_licence:
        days = (r.licence_expires_on - today).days
        if days < 0:
            text = ngettext(
                "许可证已过期 %(days)s 天（%(date)s）", "许可证已过期 %(days)s 天（%(date)s）", -days
            ) % {
                "days": -days,
                "date": r.licence_expires_on,
            }
        elif days == 0:
            text = _("许可证今天到期")
        else:
            text = ngettext(
                "许可证 %(days)s 天后到期（%(date)s）", "许可证 %(days)s 天后到期（%(date)s）", days
            ) % {
                "days": days,
                "date": r.licence_expires_on,
            }
        reasons.append(Reason("licence", r.p_licence, text))
    if r.p_planned:
        reasons.append(Reason("planned", r.p_planned, _("今日计划走访")))
    if r.p_not_visited:
        if r.last_visit is None:
            text = _("从未走访")
        else:
            idle = (today - r.last_visit).days
            text = ngettext("已 %(days)s 天未走访", "已 %(days)s 天未走访", idle) % {"days": idle}
        reasons.append(Reason("not_visited", r.p_not_visited, text))
    if r.p_cultivation:
        reasons.append(
            Reason(
                "cultivation", r.p_cultivation, _("培育品规尚未进货：%(names)s") % {"names": r.unsold_names}
            )
        )
    if r.p_store_score:
        reasons.append(
            Reason(
                "store_score",
                r.p_store_score,
                _("终端形象分 %(score)s，低于 %(threshold)s 分")
                % {"score": r.store_score, "threshold": threshold},
            )
        )
    return reasons


def daily_list(
    *, manager: User, today: datetime.date | None = None, limit: int = 60, recommend: bool = True
) -> list[DailyEntry]:
    """The manager's ranked list for `today` (default: the local date). Three queries whatever the route size: the
    policy, the ranking, the recommendations (none asked for when `recommend` is false, as the workspace does)."""
    today = today or timezone.localdate()
    shops = retailer_scope(user=manager).filter(status=Retailer.Status.ACTIVE).values("pk")
    policy = policy_get()
    rows = list(_ranked(manager=manager, today=today, shops=shops, policy=policy))
    for r in rows:
        _score(r, today=today, policy=policy)
    rows = sorted((r for r in rows if r.score > 0), key=_rank_key)[:limit]
    threshold = policy.store_score_threshold
    recommendations: dict[int, list[Recommendation]] = {}
    for rec in (
        ()
        if not recommend or not rows
        else (
            Recommendation.objects.filter(
                retailer_id__in=[r.pk for r in rows], rank__lte=RECOMMENDATIONS_SHOWN
            )
            .select_related("product", "substitute_for")
            .order_by("retailer_id", "rank")
        )
    ):
        recommendations.setdefault(rec.retailer_id, []).append(rec)
    return [
        DailyEntry(
            retailer=r,
            score=r.score,
            reasons=_reasons(r, today, threshold),
            last_visit=r.last_visit,
            planned_today=r.planned_today,
            recommendations=recommendations.get(r.pk, []),
        )
        for r in rows
    ]
