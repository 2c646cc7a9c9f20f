"""Reads of scores, always through the accounts scoping, and their plain-language explanation."""

import datetime
from dataclasses import dataclass
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models import Count, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import Retailer
from accounts.selectors import retailer_count_capped, retailer_get, retailer_scope
from core.db import queryset_sql
from segmentation.ml.parameters import BAND_HIGH, BAND_MEDIUM, ml_parameters
from segmentation.models import (
    TIER_COUNT,
    ClusterProfile,
    Recommendation,
    RetailerScore,
    ScoringEvent,
    ScoringRun,
    Segment,
    TierChange,
    TierProposal,
    TierProposalLine,
)
from segmentation.rules import definition_compile, definition_validate
from segmentation.services import TOP_SHARE_PCT
from users.models import OrgUnit, User

WEEKLY_REGULARITY = 0.8  # ordering in at least 80% of the expected weeks reads as "weekly"


def retailer_score_get(*, user: User, retailer_id: int) -> RetailerScore | None:
    """The retailer's current score, or None if it has not been scored yet; 404 (from retailer_get) if the user
    may not see the retailer."""
    retailer = retailer_get(user=user, retailer_id=retailer_id)
    return (
        RetailerScore.objects.select_related("run", "cluster", "peer_unit").filter(retailer=retailer).first()
    )


def score_list(*, user: User, filters: dict | None = None) -> QuerySet[RetailerScore]:
    filters = filters or {}
    qs = RetailerScore.objects.filter(retailer__in=retailer_scope(user=user).values("id"))
    for name in ("lifecycle", "rfm_segment", "value_class", "loyalty_class"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    return qs


def scoring_run_list() -> QuerySet[ScoringRun]:
    return ScoringRun.objects.order_by("-id")


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
    """What R says, in the words of the weekly order rhythm (the rule in services.SCORE_SQL)."""
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


# ---- churn risk, clusters, recommendations ----------------------------------------------------------------------
@dataclass
class ChurnRisk:
    """How the portrait shows a retailer's churn risk: a percentage, a band and the main reason, or why there is
    no figure."""

    probability: float | None
    horizon_weeks: int
    band: str = ""  # high / medium / low
    band_label: str = ""
    reason: str = ""
    note: str = ""

    @property
    def percent_text(self) -> str:
        if self.probability is None:
            return ""
        if self.probability < 0.005:
            return "<1%"
        return ">99%" if self.probability >= 0.995 else f"{round(self.probability * 100)}%"


REASON = RetailerScore.ChurnReason


def churn_band(probability: float) -> tuple[str, str]:
    if probability >= BAND_HIGH:
        return "high", _("高")
    if probability >= BAND_MEDIUM:
        return "medium", _("中")
    return "low", _("低")


def _churn_reason_text(score: RetailerScore) -> str:
    reason = score.churn_reason
    R = REASON  # noqa: N806 - short alias for the table below
    if reason == R.RECENCY and score.recency_days is not None:
        return _("已 %(days)s 天未订货") % {"days": score.recency_days}
    if reason == R.SMALLER_ORDERS and score.trend_pct is not None and score.trend_pct <= -10:
        return _("近13周订货量比前13周减少 %(p)s%%") % {"p": -score.trend_pct}
    texts = {
        R.RECENCY: _("久未订货"),
        R.FEWER_ORDERS: _("近 8 周订货周数少于平时"),
        R.SMALLER_ORDERS: _("近期每次订货量比平时少"),
        R.IRREGULAR: _("订货时断时续，间隔不规律"),
        R.SHORT_HISTORY: _("订货记录时间短"),
        R.LOW_VALUE: _("订货量小、单条值低"),
    }
    return str(texts.get(reason, ""))


def churn_risk(score: RetailerScore) -> ChurnRisk:
    """The churn risk of a scored retailer for the portrait. A missing figure always says why: the run had too
    little history to train the model, or the retailer had no order in the model's lookback."""
    run = score.run
    parameters = ml_parameters(run)
    horizon = parameters["churn_horizon_weeks"]
    if score.churn_probability is not None:
        band, label = churn_band(score.churn_probability)
        return ChurnRisk(
            score.churn_probability,
            horizon,
            band=band,
            band_label=str(label),
            reason=_churn_reason_text(score),
        )
    if run.churn_status == ScoringRun.ChurnStatus.TOO_LITTLE_HISTORY:
        weeks = run.stats.get("churn", {}).get(
            "needed_weeks", 2 * parameters["churn_horizon_weeks"] + parameters["churn_lookback_weeks"]
        )
        note = _("未评估：订货历史不足，本次未训练流失模型（至少需要 %(weeks)s 周订货历史）") % {
            "weeks": weeks
        }
    elif run.churn_status == ScoringRun.ChurnStatus.TRAINED:
        note = _("未评估：近 %(weeks)s 周没有订货") % {"weeks": parameters["churn_lookback_weeks"]}
    else:
        note = _("未评估")
    return ChurnRisk(None, horizon, note=note)


def recommendation_reason(recommendation: Recommendation) -> str:
    """E.g. "同区县同业态同档段 62% 的客户在订" or "替代已退市的 红旗渠（雪松）"."""
    if recommendation.kind == Recommendation.Kind.SUBSTITUTE:
        return _("替代已退市的 %(product)s") % {"product": recommendation.substitute_for.name}
    return _("同区县同业态同档段 %(pct)s%% 的客户在订") % {"pct": round(100 * recommendation.penetration)}


def recommendation_list(*, user: User) -> QuerySet[Recommendation]:
    return Recommendation.objects.filter(retailer__in=retailer_scope(user=user).values("id")).select_related(
        "product", "substitute_for"
    )


def retailer_recommendations(*, user: User, retailer_id: int) -> list[Recommendation]:
    """The retailer's current recommendations, best first; 404 outside the user's territory."""
    retailer = retailer_get(user=user, retailer_id=retailer_id)
    return list(
        Recommendation.objects.filter(retailer=retailer)
        .select_related("product", "substitute_for")
        .order_by("rank")
    )


def scoring_run_latest_done() -> ScoringRun | None:
    return ScoringRun.objects.filter(status=ScoringRun.Status.DONE).order_by("-id").first()


def cluster_profile_list(*, run: ScoringRun | None = None) -> QuerySet[ClusterProfile]:
    """Profiles of the given run, else of the latest finished run (a subquery: nothing runs until it is read)."""
    if run is None:
        latest = ScoringRun.objects.filter(status=ScoringRun.Status.DONE).order_by("-id").values("id")[:1]
        return ClusterProfile.objects.filter(run_id=Subquery(latest)).order_by("number")
    return ClusterProfile.objects.filter(run=run).order_by("number")


def cluster_profiles_for(*, user: User) -> tuple[ScoringRun | None, list[ClusterProfile]]:
    """The latest finished run and its profiles, each with `in_scope`: how many of the user's retailers are in
    it (one GROUP BY over the user's scores)."""
    run = scoring_run_latest_done()
    if run is None:
        return None, []
    profiles = list(cluster_profile_list(run=run))
    counts = dict(
        score_list(user=user)
        .filter(cluster__run=run)
        .values_list("cluster")
        .annotate(n=Count("*"))
        .values_list("cluster", "n")
    )
    for profile in profiles:
        profile.in_scope = counts.get(profile.pk, 0)
    return run, profiles


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


def scoring_events_after(
    *, after_id: int = 0, kinds: list[str] | None = None, limit: int = 1000
) -> list[ScoringEvent]:
    """The events after `after_id`, oldest first: how a consumer (a campaign journey, a Celery beat job) follows
    them. It keeps the id of the last event it handled and asks again; nothing is lost if it crashes in between.
    Unscoped — consumers are system jobs; user-facing reads go through scoring_event_list."""
    qs = ScoringEvent.objects.filter(pk__gt=after_id).order_by("pk")
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return list(qs[:limit])


def scoring_event_list(*, user: User) -> QuerySet[ScoringEvent]:
    return ScoringEvent.objects.filter(retailer__in=retailer_scope(user=user).values("id"))


PARETO_POINTS = 20

_EXPLORER_SQL = """
WITH s AS (
  SELECT sc.lifecycle, sc.rfm_segment, sc.value_class, sc.loyalty_class, sc.monetary_fen, r.tier
  FROM segmentation_retailerscore sc
  JOIN accounts_retailer r ON r.id = sc.retailer_id
  WHERE sc.retailer_id IN ({scope})
)
SELECT 'lifecycle', lifecycle, count(*), sum(monetary_fen) FROM s GROUP BY lifecycle
UNION ALL SELECT 'rfm_segment', rfm_segment, count(*), sum(monetary_fen) FROM s GROUP BY rfm_segment
UNION ALL SELECT 'value_class', value_class, count(*), sum(monetary_fen) FROM s GROUP BY value_class
UNION ALL SELECT 'loyalty_class', loyalty_class, count(*), sum(monetary_fen) FROM s GROUP BY loyalty_class
UNION ALL SELECT 'tier', tier::text, count(*), sum(monetary_fen) FROM s GROUP BY tier
"""

# The Pareto curve in PARETO_POINTS steps: the buyers (retailers with a purchase in the window) by amount, best
# first, cut into equal groups; each point is the share of buyers so far and the share of the amount they bought.
_PARETO_SQL = """
WITH s AS (
  SELECT sc.monetary_fen, ntile(%s) OVER (ORDER BY sc.monetary_fen DESC, sc.retailer_id) AS bucket
  FROM segmentation_retailerscore sc
  WHERE sc.retailer_id IN ({scope}) AND sc.monetary_fen > 0
), b AS (
  SELECT bucket, count(*) AS n, sum(monetary_fen) AS fen FROM s GROUP BY bucket
)
SELECT bucket, sum(n) OVER (ORDER BY bucket), sum(fen) OVER (ORDER BY bucket), sum(n) OVER (), sum(fen) OVER ()
FROM b ORDER BY bucket
"""


def explorer_figures(*, user: User) -> dict:
    """The segment explorer's figures for the retailers the user may see, in two aggregate queries: counts and
    amounts by lifecycle, RFM segment, value and loyalty class and tier, and the Pareto curve."""
    scope_sql, scope_params = queryset_sql(retailer_scope(user=user).values("id"))
    labels = {
        "lifecycle": dict(RetailerScore.Lifecycle.choices),
        "rfm_segment": dict(RetailerScore.RfmSegment.choices),
        "value_class": dict(RetailerScore.ValueClass.choices),
        "loyalty_class": dict(RetailerScore.LoyaltyClass.choices),
    }
    groups: dict[str, dict[str, tuple[int, int]]] = {name: {} for name in (*labels, "tier")}
    # raw SQL takes the connection the router picks for a read (the replica on the explorer page, core.replica)
    with connections[router.db_for_read(RetailerScore)].cursor() as cursor:
        cursor.execute(_EXPLORER_SQL.format(scope=scope_sql), scope_params)
        for field, value, count, fen in cursor.fetchall():
            groups[field][value] = (count, int(fen or 0))
        cursor.execute(_PARETO_SQL.format(scope=scope_sql), [PARETO_POINTS, *scope_params])
        pareto_rows = cursor.fetchall()
        cursor.execute(_PARETO_80_SQL.format(scope=scope_sql), scope_params)
        buyers, to_80 = cursor.fetchone()

    def series(field: str) -> list[dict]:
        # in the order of the choices, so the charts read the same every night; empty classes included
        return [
            {
                "key": key,
                "label": str(label),
                "count": groups[field].get(key, (0, 0))[0],
                "yuan": round(groups[field].get(key, (0, 0))[1] / 100),
            }
            for key, label in labels[field].items()
        ]

    pareto = [{"retailers": 0.0, "amount": 0.0}]
    for _bucket, n_so_far, fen_so_far, n_all, fen_all in pareto_rows:
        pareto.append(
            {
                "retailers": round(100 * n_so_far / n_all, 1),
                "amount": round(100 * (fen_so_far or 0) / fen_all, 1) if fen_all else 0.0,
            }
        )
    tiers = [
        {"key": str(t), "label": str(t), "count": groups["tier"].get(str(t), (0, 0))[0]}
        for t in range(TIER_COUNT, 0, -1)
    ]
    untiered = groups["tier"].get(None, (0, 0))[0]
    total = sum(count for count, _fen in groups["lifecycle"].values())
    top20 = next((p["amount"] for p in pareto if p["retailers"] >= TOP_SHARE_PCT), None)
    return {
        "total": total,
        "lifecycle": series("lifecycle"),
        "rfm_segment": series("rfm_segment"),
        "value_class": series("value_class"),
        "loyalty_class": series("loyalty_class"),
        "tiers": tiers,
        "untiered": untiered,
        "pareto": pareto,
        "top20_amount_pct": top20,
        "buyers": buyers,
        "share_for_80_pct": round(100 * to_80 / buyers, 1) if buyers else None,
    }


# The share of the buyers that makes 80% of the amount (the Pareto rule asks for it: "the 20% that bring 80%").
_PARETO_80_SQL = """
SELECT count(*), count(*) FILTER (WHERE before < 0.8 * total)
FROM (SELECT sc.monetary_fen,
             sum(sc.monetary_fen) OVER (ORDER BY sc.monetary_fen DESC, sc.retailer_id ROWS UNBOUNDED PRECEDING)
               - sc.monetary_fen AS before,
             sum(sc.monetary_fen) OVER () AS total
      FROM segmentation_retailerscore sc
      WHERE sc.retailer_id IN ({scope}) AND sc.monetary_fen > 0) s
"""


# ---- saved segments ----------------------------------------------------------------------------------------------
PREVIEW_SAMPLE_SIZE = 20
MEMBER_COUNT_CAP = 100_000  # a segment's page counts this far
PREVIEW_COUNT_CAP = 10_000  # the live count of the builder stops here: it runs on every change of a rule


class SegmentPreview(NamedTuple):
    count: int  # members the user may see, counted no further than PREVIEW_COUNT_CAP
    sample: list[Retailer]  # the first PREVIEW_SAMPLE_SIZE of them, newest first
    capped: bool  # True when there are more than PREVIEW_COUNT_CAP


def _units_below(unit: OrgUnit) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(path__startswith=unit.path)


def segment_unit_visible(*, user: User, unit: OrgUnit) -> bool:
    """Whether the user may see segments over `unit`: an admin any; others those over their own org unit, a unit
    below it, or a unit above it (a company-wide segment covers their territory too)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_company_admin:
        return True
    if not user.org_unit_id:
        return False
    mine = user.org_unit.path
    return unit.path.startswith(mine) or mine.startswith(unit.path)


def segment_unit_usable(*, user: User, unit: OrgUnit) -> bool:
    """Whether the user may build a segment over `unit`: an admin any; others their own org unit or one below."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_company_admin:
        return True
    return bool(user.org_unit_id) and unit.path.startswith(user.org_unit.path)


def segment_units_usable(*, user: User) -> QuerySet[OrgUnit]:
    """The units segment_unit_usable allows, for a form's choices."""
    from users.selectors import org_units_visible

    return org_units_visible(user=user).order_by("path")


def segment_list(*, user: User, filters: dict | None = None) -> QuerySet[Segment]:
    """Segments the user may see (see segment_unit_visible), newest change first. Filters: `q` (name contains),
    `org_unit` (an OrgUnit: segments over it or below it), `archived` (True: only archived ones; default: only
    live ones; None: both)."""
    filters = filters or {}
    qs = Segment.objects.select_related("org_unit", "created_by", "updated_by")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if not user.is_company_admin:
        if not user.org_unit_id:
            return qs.none()
        path = user.org_unit.path
        ancestors = [f"/{'/'.join(path.strip('/').split('/')[:i])}/" for i in range(1, path.count("/"))]
        qs = qs.filter(Q(org_unit__path__startswith=path) | Q(org_unit__path__in=ancestors))
    archived = filters.get("archived", False)
    if archived is not None:
        qs = qs.filter(is_archived=archived)
    if filters.get("q"):
        qs = qs.filter(name__icontains=filters["q"].strip())
    if filters.get("org_unit"):
        qs = qs.filter(org_unit__path__startswith=filters["org_unit"].path)
    return qs


def segment_get(*, user: User, segment_id: int) -> Segment:
    """A segment the user may see, archived or not; 404 otherwise (another territory's looks missing)."""
    return get_object_or_404(segment_list(user=user, filters={"archived": None}), pk=segment_id)


def _members(*, definition: dict, org_unit: OrgUnit, retailers: QuerySet[Retailer]) -> QuerySet[Retailer]:
    territory = Retailer.objects.filter(org_unit__in=_units_below(org_unit).values("id"))
    return retailers.filter(
        definition_compile(definition, within=territory),
        org_unit__in=_units_below(org_unit).values("id"),
        merged_into__isnull=True,
    )


def segment_members(*, segment: Segment) -> QuerySet[Retailer]:
    """Every retailer the segment matches now: inside its org unit's subtree, not merged into another record,
    whoever asks (campaigns call this at launch to snapshot their audience). One SQL statement; the rows named
    by its rules (org units) are looked up first."""
    return _members(
        definition=segment.definition, org_unit=segment.org_unit, retailers=Retailer.objects.all()
    )


def segment_members_for_user(*, user: User, segment: Segment) -> QuerySet[Retailer]:
    """The members this user may see (segment_members within retailer_scope); none if the user may not see the
    segment at all."""
    if not segment_unit_visible(user=user, unit=segment.org_unit):
        return Retailer.objects.none()
    return _members(
        definition=segment.definition, org_unit=segment.org_unit, retailers=retailer_scope(user=user)
    )


def segment_member_count(*, user: User, segment: Segment) -> tuple[int, bool]:
    """(members the user may see, capped at MEMBER_COUNT_CAP; whether there are more)."""
    return retailer_count_capped(segment_members_for_user(user=user, segment=segment), cap=MEMBER_COUNT_CAP)


def segment_preview(*, user: User, definition: dict, org_unit: OrgUnit | None = None) -> SegmentPreview:
    """Count and first members of an unsaved definition over `org_unit` (default: the user's own; an admin
    without one: the whole company), as this user may see them. ValidationError (naming each rule's path) for a
    bad definition (under "definition") or a unit the user may not use (under "org_unit")."""
    try:
        definition = definition_validate(definition, user=user)
    except ValidationError as exc:
        raise ValidationError({"definition": exc.error_list}) from exc
    if org_unit is None:
        org_unit = user.org_unit or OrgUnit.objects.filter(parent__isnull=True).order_by("id").first()
    if org_unit is None or not segment_unit_usable(user=user, unit=org_unit):
        raise ValidationError({"org_unit": _("无权使用此单位。")})
    members = _members(definition=definition, org_unit=org_unit, retailers=retailer_scope(user=user))
    count, capped = retailer_count_capped(members, cap=PREVIEW_COUNT_CAP)
    sample = list(members.select_related("route__manager").order_by("-id")[:PREVIEW_SAMPLE_SIZE])
    return SegmentPreview(count=count, sample=sample, capped=capped)
