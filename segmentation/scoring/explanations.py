"""A scored retailer's classes in plain words, for the portrait: why it is in its lifecycle stage and in its RFM
segment (the rules in scoring.rules)."""

import datetime

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import Retailer
from segmentation.scoring.models import RetailerScore
from segmentation.scoring.rules import TOP_SHARE_PCT

WEEKLY_REGULARITY = 0.8  # ordering in at least 80% of the expected weeks reads as "weekly"


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


def _rank_text(score: int) -> str:
    """Where an F or M score puts the retailer among its peers: 5 → "前 20%", 1 → "后 20%"."""
    if score <= 1:
        return _("后 20%")
    return _("前 %(pct)s%%") % {"pct": 20 * (6 - score)}


def _weeks_since_order(score: RetailerScore) -> int | None:
    """Whole order weeks from the week of the last order to the week the run scored (0 = that same week)."""
    if score.last_order_on is None or score.recency_days is None:
        return None
    as_of = score.last_order_on + datetime.timedelta(days=score.recency_days)
    last_week = score.last_order_on - datetime.timedelta(days=score.last_order_on.weekday())
    return (as_of - datetime.timedelta(days=as_of.weekday()) - last_week).days // 7


def _recency_text(score: RetailerScore) -> str:
    """What R says, in the words of the weekly order rhythm (the rule in scoring.rules.SCORE_SQL)."""
    if score.frequency == 0:
        if score.lifecycle == RetailerScore.Lifecycle.NEW:
            return _("尚未订货，R/F/M 暂记 1")
        return _("近 12 个月无订货")
    if score.r_score == 1:
        return _("已流失：已 %(weeks)s 周未订货") % {"weeks": (score.recency_days or 0) // 7}
    if score.r_score == 2:
        return _("已 %(weeks)s 周未订货，达到流失风险") % {"weeks": (score.recency_days or 0) // 7}
    if score.r_score == 5:
        return _("本周或上周已订货")
    missed = max((_weeks_since_order(score) or 1) - 1, 1)
    return _("已缺订 %(n)s 个订货周") % {"n": missed}


def _peer_group_text(score: RetailerScore) -> tuple[str, str]:
    """(the group F and M were scored in, in words; the clause saying it is not the retailer's own unit × format
    because that had too few buyers, or "")."""
    if score.peer_level == 0:
        return _("同单位同业态 %(n)s 户") % {"n": score.peer_size}, ""
    unit = score.peer_unit.name if score.peer_unit_id else ""
    fmt = Retailer.BusinessFormat(score.peer_format).label if score.peer_format else _("全部业态")
    group = _("%(unit)s·%(format)s %(n)s 户") % {"unit": unit, "format": fmt, "n": score.peer_size}
    minimum = (score.run.parameters or {}).get("min_peer_group", 0)
    fallback = _("本单位同业态有订货的客户不足 %(min)s 户，F、M 改与%(unit)s·%(format)s比较") % {
        "min": minimum,
        "unit": unit,
        "format": fmt,
    }
    if score.peer_size < minimum:
        fallback += str(_("（仍不足 %(min)s 户，仅供参考）") % {"min": minimum})
    return group, fallback


def rfm_explanation(score: RetailerScore) -> str:
    """Why the retailer is in its RFM segment, consistent with its lifecycle (RFM_BY_LIFECYCLE), e.g.
    "RFM 不能失去（R1 F5 M4）：已流失：已 9 周未订货；订货次数居同组前 20%；…；曾是高频高额客户，需重点挽回"."""
    segment = RetailerScore.RfmSegment(score.rfm_segment).label
    head = _("RFM %(segment)s（R%(r)s F%(f)s M%(m)s）") % {
        "segment": segment,
        "r": score.r_score,
        "f": score.f_score,
        "m": score.m_score,
    }
    parts = [_recency_text(score)]
    if score.frequency > 0:
        group, fallback = _peer_group_text(score)
        parts.append(_("订货次数居%(group)s%(rank)s") % {"group": group, "rank": _rank_text(score.f_score)})
        parts.append(_("订货金额居%(group)s%(rank)s") % {"group": group, "rank": _rank_text(score.m_score)})
        if fallback:
            parts.append(fallback)
    if score.rfm_segment == RetailerScore.RfmSegment.CANT_LOSE:
        parts.append(_("曾是高频高额客户，需重点挽回"))
    colon = pgettext("label separator", "：")
    return head + colon + pgettext("clause list separator", "；").join(str(p) for p in parts)
