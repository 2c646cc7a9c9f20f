"""The cockpit's KPI catalogue: code, label, how a value is shown, which way is better, and the list behind it.

Data quality counts what the data-quality page counts; a missing phone is not among them because the schema
requires an 11-digit mobile on every retailer.

Every KPI is stored as num (÷ den) in KpiSnapshot; `fmt` says how the value reads:
    count  a number of retailers or events        pct    num ÷ den as a percentage
    fen    an amount in fen, shown in yuan        per    fen per carton (单条值), shown in yuan
    score  an index 0–100                         cartons  a number of cartons
    points loyalty points outstanding             pp     a difference of two rates, in percentage points

"活动增量" (campaign_uplift) is the order uplift of the campaigns whose measurement window closed in the period,
run by the unit or below it (campaigns.CampaignUplift, measured by the same hourly job): the treated groups' order
rate minus what their holdouts' rates predict for them — Σ (treated ordered − treated n × holdout rate) ÷ Σ treated
n over the campaigns whose groups both reach CAMPAIGNS_UPLIFT_MIN_GROUP; with one campaign it is simply the treated
order rate minus the holdout's. Each campaign is compared with its own holdout, so pooling campaigns with other
holdout shares and base rates does not bias it. The snapshot's `extra` keeps both group sizes (and those of the
campaigns too small to count), which the card shows; with none large enough it reads "样本不足".
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kpi:
    code: str
    label: str
    fmt: str
    higher_is_better: bool = True
    group: str = ""
    state: bool = False  # a state at the time of the refresh (not a flow of the period)

    @property
    def is_rate(self) -> bool:
        """Read in percent or percentage points: its change, target and trend are in points."""
        return self.fmt in ("pct", "pp")


SALES = _("订货")
LIFECYCLE = _("客户生命周期")
SERVICE = _("服务")
QUALITY = _("数据质量")

KPIS: dict[str, Kpi] = {
    k.code: k
    for k in (
        Kpi("active", _("正常经营客户"), "count", group=SALES, state=True),
        Kpi("order_rate", _("订货率"), "pct", group=SALES),
        Kpi("cartons", _("订货条数"), "cartons", group=SALES),
        Kpi("amount", _("订货金额"), "fen", group=SALES),
        Kpi("avg_price", _("单条值"), "per", group=SALES),
        Kpi("new", _("新增客户"), "count", group=LIFECYCLE),
        Kpi("at_risk", _("转为流失风险"), "count", higher_is_better=False, group=LIFECYCLE),
        Kpi("lost", _("转为已流失"), "count", higher_is_better=False, group=LIFECYCLE),
        Kpi("reactivated", _("回流客户"), "count", group=LIFECYCLE),
        Kpi("visit_coverage", _("走访覆盖率"), "pct", group=SERVICE),
        Kpi("response_rate", _("投诉按时响应率"), "pct", group=SERVICE),
        Kpi("resolution_rate", _("投诉按时办结率"), "pct", group=SERVICE),
        Kpi("satisfaction", _("满意度指数"), "score", group=SERVICE),
        Kpi("campaign_reach", _("营销触达率"), "pct", group=SERVICE),
        Kpi("campaign_uplift", _("活动增量"), "pp", group=SERVICE),
        Kpi("fill_rate", _("紧俏货源满足率"), "pct", group=SALES),
        Kpi("points_liability", _("积分负债"), "points", higher_is_better=False, group=SERVICE, state=True),
        Kpi("missing_manager", _("没有客户经理"), "count", higher_is_better=False, group=QUALITY, state=True),
        Kpi("missing_location", _("缺少经纬度"), "count", higher_is_better=False, group=QUALITY, state=True),
        Kpi(
            "missing_consent",
            _("未授权任何消息渠道"),
            "count",
            higher_is_better=False,
            group=QUALITY,
            state=True,
        ),
    )
}

# The KPIs a league table ranks units and managers by.
LEAGUE_KPIS = ("order_rate", "amount", "avg_price", "visit_coverage", "resolution_rate", "satisfaction")


def kpi_choices() -> list[tuple[str, str]]:
    return [(k.code, k.label) for k in KPIS.values()]


def value_of(num: int | None, den: int | None) -> float | None:
    if num is None:
        return None
    if den is None:
        return float(num)
    return num / den if den else None


def display(kpi: Kpi, value: float | None) -> str:
    """A value as a supervisor reads it: 62.5%, ¥5,704.2万, ¥182.3/条, 1,204."""
    if value is None:
        return "—"
    if kpi.fmt == "pct":
        return f"{value * 100:.1f}%"
    if kpi.fmt == "pp":
        return _("%(value)+.1f 个百分点") % {"value": value * 100}
    if kpi.fmt == "fen":
        return yuan(value)
    if kpi.fmt == "per":
        return f"¥{value / 100:,.1f}"
    if kpi.fmt == "score":
        return f"{value:.1f}"
    if kpi.fmt == "points":
        return _("%(n)s 分") % {"n": f"{round(value):,}"}
    return f"{round(value):,}"


def yuan(fen: float) -> str:
    """¥5,704.2万 in Chinese, ¥57.04M in English: the way each reader counts large amounts."""
    value = fen / 100
    if (get_language() or "").startswith("en"):
        if abs(value) >= 1_000_000:
            return f"¥{value / 1_000_000:,.2f}M"
        if abs(value) >= 10_000:
            return f"¥{value / 1_000:,.1f}K"
        return f"¥{value:,.0f}"
    if abs(value) >= 100_000_000:
        return f"¥{value / 100_000_000:,.2f}亿"
    if abs(value) >= 10_000:
        return f"¥{value / 10_000:,.1f}万"
    return f"¥{value:,.0f}"


def target_scale(kpi: Kpi) -> float:
    """Targets are entered as people say them (62.5 for 62.5 %, 180 for ¥180 per carton, yuan for amounts):
    the factor from a target to the stored value."""
    return {"pct": 0.01, "pp": 0.01, "fen": 100, "per": 100}.get(kpi.fmt, 1)


def drill_url(
    kpi: Kpi, *, org_unit_id: int | None, manager_id: int | None, start: datetime.date, end: datetime.date
) -> str:
    """The list behind a number, filtered to the unit (or manager) and the period."""
    who = {"org_unit": org_unit_id} if org_unit_id else {"manager": manager_id}
    code = kpi.code
    if code in ("active",):
        return _url("accounts:retailer-list", status="active", **who)
    if code.startswith("missing_"):
        # the data-quality list behind the counter (accounts.selectors.retailer_quality_issues)
        issue = {
            "missing_manager": "no_manager",
            "missing_location": "no_location",
            "missing_consent": "no_consent",
        }
        return _url("accounts:retailer-list", status="active", issue=issue[code], **who)
    if code in ("order_rate", "cartons", "amount", "avg_price", "new", "at_risk", "lost", "reactivated"):
        show = {
            "order_rate": "not_ordered",
            "cartons": "ordered",
            "amount": "ordered",
            "avg_price": "ordered",
        }
        return _url(
            "cockpit:retailers",
            show=show.get(code, code),
            start=start.isoformat(),
            end=end.isoformat(),
            **who,
        )
    if code == "visit_coverage":
        extra = {"manager": manager_id} if manager_id else {}
        return _url("visits:coverage", day_from=start.isoformat(), day_to=end.isoformat(), **extra)
    if code in ("response_rate", "resolution_rate"):
        unit = {"unit": org_unit_id} if org_unit_id else {"manager": manager_id}
        return _url("feedback:complaint-list", status="open", overdue="1", **unit)
    if code == "satisfaction":
        return _url("feedback:survey-report")
    if code == "campaign_reach":
        return _url("campaigns:campaign-list")
    if code == "campaign_uplift":
        # the campaigns behind the number, journeys' runs included; a manager's row has none (campaigns are units')
        return _url(
            "campaigns:campaign-list",
            kind="all",
            unit=org_unit_id,
            measured_from=start.isoformat(),
            measured_to=end.isoformat(),
        )
    if code == "fill_rate":
        return _url("sales:allocation-fill-rate", day=start.isoformat())
    if code == "points_liability":
        return _url("loyalty:liability")
    return ""


def _url(name: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse(name) + (f"?{query}" if query else "")
