"""Reads of scores, always through the accounts scoping, and their plain-language explanation."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.selectors import retailer_get, retailer_scope
from segmentation.models import RetailerScore, ScoringRun
from segmentation.services import TOP_SHARE_PCT
from users.models import User

WEEKLY_REGULARITY = 0.8  # ordering in at least 80% of the expected weeks reads as "weekly"


def retailer_score_get(*, user: User, retailer_id: int) -> RetailerScore | None:
    """The retailer's current score, or None if it has not been scored yet; 404 (from retailer_get) if the user
    may not see the retailer."""
    retailer = retailer_get(user=user, retailer_id=retailer_id)
    return RetailerScore.objects.select_related("run").filter(retailer=retailer).first()


def score_list(*, user: User, filters: dict | None = None) -> QuerySet[RetailerScore]:
    filters = filters or {}
    qs = RetailerScore.objects.filter(retailer__in=retailer_scope(user=user).values("id"))
    for name in ("lifecycle", "rfm_segment", "value_class", "loyalty_class"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    return qs


def scoring_run_latest() -> ScoringRun | None:
    return ScoringRun.objects.order_by("-id").first()


def _cadence(score: RetailerScore) -> str:
    if not score.order_weeks or not score.expected_weeks:
        return ""
    if score.order_weeks >= WEEKLY_REGULARITY * score.expected_weeks:
        return _("平时每周订货")
    every = round(score.expected_weeks / score.order_weeks)
    return _("平时约每 %(n)s 周订货一次") % {"n": every}


def score_explanation(score: RetailerScore) -> str:
    """Why the retailer is in its lifecycle stage, in words a customer manager reads at a glance, e.g.
    "流失风险：已 5 周未订货，平时每周订货"."""
    weeks = (score.recency_days or 0) // 7
    cadence = _cadence(score)
    stage = score.lifecycle
    if score.last_order_on is None:
        head = _("新客户：尚未订货") if stage == RetailerScore.Lifecycle.NEW else _("已流失：从未订货")
    elif stage == RetailerScore.Lifecycle.LOST:
        head = _("已流失：已 %(weeks)s 周未订货") % {"weeks": weeks}
    elif stage == RetailerScore.Lifecycle.AT_RISK:
        head = _("流失风险：已 %(weeks)s 周未订货") % {"weeks": weeks}
    elif stage == RetailerScore.Lifecycle.NEW:
        head = _("新客户：%(day)s 首次订货") % {"day": score.first_order_on.isoformat()}
    elif stage == RetailerScore.Lifecycle.REACTIVATED:
        head = _("回流：停订较长时间后近期重新订货")
    else:
        head = _("活跃：%(days)s 天前订货") % {"days": score.recency_days}
    comma = pgettext("clause separator", "，")
    parts = [f"{head}{comma}{cadence}" if cadence else head]
    if score.missed_weeks and stage in (RetailerScore.Lifecycle.ACTIVE, RetailerScore.Lifecycle.AT_RISK):
        parts.append(
            _("近 %(n)s 个应订货周中缺订 %(m)s 周") % {"n": score.expected_weeks, "m": score.missed_weeks}
        )
    if score.trend_pct is not None and abs(score.trend_pct) >= 10:
        if score.trend_pct < 0:
            parts.append(_("近13周订货量比前13周减少 %(p)s%%") % {"p": -score.trend_pct})
        else:
            parts.append(_("近13周订货量比前13周增加 %(p)s%%") % {"p": score.trend_pct})
    if score.is_top20:
        parts.append(_("属于贡献金额最高的前 %(share)s%% 客户") % {"share": TOP_SHARE_PCT})
    return pgettext("clause list separator", "；").join(parts)
