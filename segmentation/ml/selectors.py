"""Reads of what the machine-learning stages keep: a retailer's churn risk as the portrait shows it, its product
recommendations and the cluster profiles, through the accounts scoping."""

from dataclasses import dataclass

from django.db.models import Count, QuerySet, Subquery
from django.utils.translation import gettext as _

from accounts.selectors import retailer_get, retailer_scope
from segmentation.ml.models import ClusterProfile, Recommendation
from segmentation.ml.parameters import BAND_HIGH, BAND_MEDIUM, ml_parameters
from segmentation.scoring.models import RetailerScore, ScoringRun
from segmentation.scoring.selectors import score_list, scoring_run_latest_done
from users.models import User


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
