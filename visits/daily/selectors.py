"""The customer manager's daily list: which of their shops to visit today, ranked, each with its reasons in words.

Two queries whatever the route size: the policy; one statement (DAILY_LIST_SQL) that reads every scoring fact of
every shop in the manager's scope, each once, adds the points, ranks the shops and returns the listed ones only, with
the first recommendations of the shops listed. The score is the sum of these points (the reasons shown are exactly the
terms that scored):

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
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Retailer
from accounts.selectors import retailer_scope
from core.db import queryset_sql, sql_named
from feedback.complaints.models import Complaint
from feedback.complaints.selectors import about_own_conduct_q, overdue_q
from segmentation.scoring.models import RetailerScore
from users.models import User
from visits.models import VisitPolicy
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

# The daily list's rule (the module docstring) as one statement, in SQL because the field benchmark justifies it:
# with the ORM (nine correlated subqueries per shop, the scope as a semi-join and every shop's row read twice, all
# ~200 shops built as models and scored in Python, two models per recommendation) a province manager's list cost
# twice as much. Its cost is the manager's shops, and only one row of facts per shop:
# - `shop` is their scope, computed once (retailer_scope, compiled in as {shops}) with the whole retailer row, so
#   the listed shops need no second read; its rows are named like the table they come from;
# - what the visits, complaints and orders say of a shop is read from its ShopFacts row (last visit, last store
#   score, open complaints) and its cultivation targets' first purchase (CultivationTarget.first_bought_on), both
#   kept current by the database's own triggers (visits migration 0005) on every write: one index probe per
#   shop, instead of probing the company's visits and every order since a programme's start as each list did;
# - {overdue} counts the shop's complaints past their deadline by feedback's own rule (overdue_q, minus
#   about_own_conduct_q), compiled, and only for a shop with open complaints (most have none);
# - a cultivation target has not bought when its first purchase since the start is none, or after `today`, for
#   the running programmes only (`running`, read once; no probe at all when none runs);
# - RetailerScore is one join (one row per shop); `fact` is MATERIALIZED so each subquery runs once per shop;
# - the points are added over those facts, ranked and cut in SQL: only the listed shops leave the database.
DAILY_LIST_SQL = """
WITH shop AS MATERIALIZED ({shops}),
running AS MATERIALIZED (
    SELECT programme.id, programme.product_id, programme.starts_on, product.name
    FROM visits_cultivationprogramme programme JOIN sales_product product ON product.id = programme.product_id
    WHERE programme.starts_on <= %(today)s AND programme.ends_on >= %(today)s
),
fact AS MATERIALIZED (
    SELECT "accounts_retailer".*,
           facts.last_visit_on AS last_visit,
           EXISTS (SELECT FROM visits_visitplan plan
                   WHERE plan.retailer_id = "accounts_retailer"."id" AND plan.planned_on = %(today)s) AS planned_today,
           CASE WHEN facts.open_complaints > 0 THEN COALESCE(({overdue}), 0) ELSE 0 END AS overdue_complaints,
           score.value_class, score.lifecycle, score.churn_probability,
           facts.store_score,
           CASE WHEN EXISTS (SELECT FROM running) THEN
               (SELECT array_agg(running.name ORDER BY running.starts_on, running.id)
                FROM running JOIN visits_cultivationtarget target ON target.programme_id = running.id
                WHERE target.retailer_id = "accounts_retailer"."id"
                  AND (target.first_bought_on IS NULL OR target.first_bought_on > %(today)s))
           END AS unsold_products
    FROM shop AS "accounts_retailer"
    LEFT JOIN visits_shopfacts facts ON facts.retailer_id = "accounts_retailer"."id"
    LEFT JOIN segmentation_retailerscore score ON score.retailer_id = "accounts_retailer"."id"
),
point AS (
    SELECT fact.*,
           LEAST(overdue_complaints, %(complaints_counted)s) * %(w_complaint)s AS p_complaints,
           CASE WHEN lifecycle = ANY(%(at_risk_lifecycles)s) OR churn_probability >= %(churn_risk)s
                THEN CASE value_class WHEN %(high)s THEN %(w_high)s WHEN %(mid)s THEN %(w_mid)s ELSE 0 END
                ELSE 0 END AS p_risk,
           CASE WHEN licence_expires_on <= %(licence_by)s THEN %(w_licence)s ELSE 0 END AS p_licence,
           CASE WHEN planned_today THEN %(w_planned)s ELSE 0 END AS p_planned,
           CASE WHEN last_visit IS NULL OR last_visit < %(visited_after)s THEN %(w_not_visited)s ELSE 0 END
               AS p_not_visited,
           COALESCE(cardinality(unsold_products), 0) * %(w_cultivation)s AS p_cultivation,
           CASE WHEN store_score < %(store_score_threshold)s THEN %(w_store_score)s ELSE 0 END AS p_store_score
    FROM fact
),
ranked AS (
    SELECT point.*,
           p_complaints + p_risk + p_licence + p_planned + p_not_visited + p_cultivation + p_store_score AS score
    FROM point
),
listed AS (
    SELECT * FROM ranked
    WHERE score > 0
    ORDER BY score DESC, last_visit NULLS FIRST, id
    LIMIT %(limit)s
)
SELECT listed.*, {recommended} AS recommended
FROM listed
ORDER BY score DESC, last_visit NULLS FIRST, id
"""
# the listed shops' first recommendations as [rank, product id, name, kind, id and name of the product replaced]:
# read for the listed shops only, in the same statement (segmentation_recommendation's (retailer, rank) index)
RECOMMENDED_SQL = """(
    SELECT json_agg(json_build_array(rec.rank, rec.product_id, product.name, rec.kind, replaced.id, replaced.name) ORDER BY rec.rank)
    FROM segmentation_recommendation rec
    JOIN sales_product product ON product.id = rec.product_id
    LEFT JOIN sales_product replaced ON replaced.id = rec.substitute_for_id
    WHERE rec.retailer_id = listed.id AND rec.rank <= %(recommendations_shown)s
)"""


@dataclass
class Reason:
    code: str
    points: int
    text: str


@dataclass(frozen=True)
class ProductName:
    id: int
    name: str


@dataclass(frozen=True)
class Recommended:
    """One of a listed shop's first recommendations (segmentation.Recommendation), as the list shows it: the product
    and, for a substitute, the product it replaces."""

    rank: int
    product: ProductName
    kind: str
    substitute_for: ProductName | None = None

    @property
    def product_id(self) -> int:
        return self.product.id


@dataclass
class DailyEntry:
    retailer: Retailer
    score: int
    reasons: list[Reason]
    last_visit: datetime.date | None
    planned_today: bool
    recommendations: list[Recommended] = field(default_factory=list)

    @property
    def map_url(self) -> str:
        """A map link that opens the phone's map app (Retailer.map_url)."""
        return self.retailer.map_url

    @property
    def facts(self) -> str:
        """The line under the shop's name: its customer code, tier and last visit (worded here, as the reasons are,
        so that the page does not run a translation block per row)."""
        parts = [self.retailer.customer_code]
        if self.retailer.tier:
            parts.append(_("%(t)s 档") % {"t": self.retailer.tier})
        if self.last_visit:
            parts.append(_("上次走访 %(d)s") % {"d": self.last_visit.strftime("%m-%d")})
        return " · ".join(parts)


@functools.cache
def _overdue_sql() -> tuple[str, tuple]:
    """The count of the shop's complaints past their deadline, minus those about the manager's own conduct, by
    feedback's rule, for the LATERAL join in DAILY_LIST_SQL. The moment and the manager are the parameters `now`
    and `manager`, so the SQL is compiled once per process."""
    outer = RawSQL('"accounts_retailer"."id"', (), output_field=IntegerField())
    now = RawSQL("%(now)s", ())
    manager = RawSQL("%(manager)s", (), output_field=IntegerField())
    return queryset_sql(
        Complaint.objects.filter(overdue_q(now=now), retailer_id=outer)
        .exclude(about_own_conduct_q(user_id=manager))
        .order_by()
        .values("retailer_id")
        .annotate(n=Count("pk"))
        .values("n")
    )


def _ranked(
    *,
    manager: User,
    today: datetime.date,
    shops: QuerySet[Retailer] | Iterable[int],
    policy: VisitPolicy | None = None,
    limit: int | None = None,
    recommend: bool = False,
):
    """The listed shops of `shops` (the manager's scope, or ids), best first, at most `limit`: Retailer rows with
    the facts (last_visit, planned_today, overdue_complaints, value_class, lifecycle, churn_probability,
    store_score, unsold_products), the points of each term (p_*) and their sum (score). One query."""
    policy = policy or policy_get()
    if not isinstance(shops, QuerySet):
        shops = Retailer.objects.filter(pk__in=list(shops))
    params = {
        "today": today,
        "now": timezone.now(),
        "manager": manager.pk,
        "complaints_counted": MAX_COMPLAINTS_COUNTED,
        "w_complaint": W_COMPLAINT,
        "at_risk_lifecycles": list(AT_RISK_LIFECYCLES),
        "churn_risk": CHURN_RISK_PROBABILITY,
        "high": RetailerScore.ValueClass.HIGH,
        "w_high": W_HIGH_VALUE_AT_RISK,
        "mid": RetailerScore.ValueClass.MID,
        "w_mid": W_MID_VALUE_AT_RISK,
        "licence_by": today + datetime.timedelta(days=policy.licence_warning_days),
        "w_licence": W_LICENCE,
        "w_planned": W_PLANNED,
        "visited_after": today - datetime.timedelta(days=policy.not_visited_days),
        "w_not_visited": W_NOT_VISITED,
        "w_cultivation": W_CULTIVATION,
        "store_score_threshold": policy.store_score_threshold,
        "w_store_score": W_LOW_STORE_SCORE,
        "limit": limit,
        "recommendations_shown": RECOMMENDATIONS_SHOWN,
    }
    shops_sql = sql_named(*queryset_sql(shops.order_by()), prefix="shop", into=params)
    overdue_sql = sql_named(*_overdue_sql(), prefix="overdue", into=params)
    recommended = RECOMMENDED_SQL if recommend else "NULL::json"
    sql = DAILY_LIST_SQL.format(shops=shops_sql, overdue=overdue_sql, recommended=recommended)
    return Retailer.objects.raw(sql, params)


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
                "cultivation",
                r.p_cultivation,
                _("培育品规尚未进货：%(names)s") % {"names": "、".join(r.unsold_products)},
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


def _recommended(rows: list | None) -> list[Recommended]:
    return [
        Recommended(
            rank=rank,
            product=ProductName(product_id, name),
            kind=kind,
            substitute_for=ProductName(replaced_id, replaced) if replaced_id else None,
        )
        for rank, product_id, name, kind, replaced_id, replaced in rows or ()
    ]


def daily_list(
    *, manager: User, today: datetime.date | None = None, limit: int = 60, recommend: bool = True
) -> list[DailyEntry]:
    """The manager's ranked list for `today` (default: the local date). Two queries whatever the route size: the
    policy, and the ranking with the recommendations (none read when `recommend` is false, as the workspace does)."""
    today = today or timezone.localdate()
    shops = retailer_scope(user=manager).filter(status=Retailer.Status.ACTIVE)
    policy = policy_get()
    rows = list(
        _ranked(manager=manager, today=today, shops=shops, policy=policy, limit=limit, recommend=recommend)
    )
    threshold = policy.store_score_threshold
    return [
        DailyEntry(
            retailer=r,
            score=r.score,
            reasons=_reasons(r, today, threshold),
            last_visit=r.last_visit,
            planned_today=r.planned_today,
            recommendations=_recommended(r.recommended),
        )
        for r in rows
    ]
