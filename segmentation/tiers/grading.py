"""The tier engine's grading (档位): how a territory's retailers are scored, ranked and cut into tiers for one
period. It writes nothing: a proposal (tiers.services) writes these rows, the tier card (tiers.card) reads them
back, and the what-if (tiers.whatif) grades with other parameters.

Rules (parameters from TierRule, copied into each proposal):

- Period: a calendar month or quarter — the one containing `period_end`, by default the last complete one before
  today. Measures come from the monthly rows of sales_retailerperiodsummary in it: cartons, amount and average
  price per carton (amount ÷ cartons; 0 without purchases).
- Population: the creator's territory (accounts.selectors.retailer_scope), not closed and not merged.
- Score (0–100): Σ weight × percent_rank of the measure among the population (ascending, so the best gets 1 and
  equal values share a rank), rounded to 4 decimals; weights are integers summing to 100.
- Rank: score descending, ties by retailer id ascending (the lower id ranks first); rank 1 is the best.
- Shares mode: the 30 numbers of `tier_shares` (tier 1 first) are scaled to the N retailers by the largest
  remainder method — each tier gets ⌊N × share ÷ Σshares⌋, the leftover retailers go one each to the tiers with the
  largest fractional remainders (equal remainders: the higher tier first), so the counts always sum to N and
  a table of counts that already sums to N is used as it is. Ranks are then cut from tier 30 (the best)
  downwards by these counts.
- Matrix mode: tier = 3 × (10 − carton band) + (4 − price band), where carton band is ntile(10) over cartons
  descending and price band ntile(3) over average price descending (ties by id), so band 1/1 is tier 30.
- New retailers (first order ever within `new_days` days before the period end, or none yet) are capped at
  `new_retailer_cap`: the cap applies after the cut, so capped retailers move down and nobody moves up.
"""

import datetime
from fractions import Fraction

from django.utils import timezone

from accounts.selectors import retailer_scope
from core.db import queryset_sql
from segmentation.tiers.models import TIER_COUNT, TierRule
from users.models import User


def tier_rule_current() -> TierRule:
    """The rule row the next proposal uses (the defaults if nobody has saved one yet)."""
    return TierRule.objects.order_by("id").first() or TierRule()


def tier_period(
    *, period: str, period_end: datetime.date | None = None
) -> tuple[datetime.date, datetime.date]:
    """The month or quarter containing `period_end`; without it, the last complete one before today."""
    if period_end is None:
        period_end = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
        if period == TierRule.Period.QUARTER:
            while period_end.month % 3:
                period_end = period_end.replace(day=1) - datetime.timedelta(days=1)
    months = 3 if period == TierRule.Period.QUARTER else 1
    first_month = period_end.month - (period_end.month - 1) % months
    start = period_end.replace(month=first_month, day=1)
    end_month = first_month + months
    end = (
        datetime.date(start.year + 1, 1, 1) if end_month > 12 else datetime.date(start.year, end_month, 1)
    ) - datetime.timedelta(days=1)
    return start, end


def tier_counts(*, n: int, shares: list) -> dict[int, int]:
    """Retailers per tier for N retailers by the largest remainder method (see the module docstring)."""
    parts = [Fraction(s) for s in shares]
    total = sum(parts)
    quotas = {tier: n * parts[tier - 1] / total for tier in range(1, TIER_COUNT + 1)}
    counts = {tier: int(q) for tier, q in quotas.items()}  # floor: quotas are never negative
    leftover = n - sum(counts.values())
    by_remainder = sorted(quotas, key=lambda t: (-(quotas[t] - counts[t]), -t))
    for tier in by_remainder[:leftover]:
        counts[tier] += 1
    return counts


# The engine's grading of a population, one row per retailer; {scope} is the population's id query. Parameters:
# scope's, period start, period end, the three weights, period end, new_days, mode, the lower rank bounds of tiers
# 30…1, the new-retailer cap. The proposal writes these rows; the tier card and the what-if read the same ones.
_SCORED_SQL = """
WITH pop AS (
  SELECT r.id AS retailer_id, r.tier AS current_tier FROM accounts_retailer r
  WHERE r.merged_into_id IS NULL AND r.status <> 'closed' AND r.id IN ({scope})
), m AS (
  SELECT p.retailer_id, p.current_tier,
         coalesce(sum(s.cartons), 0) AS cartons, coalesce(sum(s.amount_fen), 0) AS amount_fen
  FROM pop p
  LEFT JOIN sales_retailerperiodsummary s
    ON s.retailer_id = p.retailer_id AND s.period = 'month' AND s.period_start BETWEEN %s AND %s
  GROUP BY p.retailer_id, p.current_tier
), pr AS (
  SELECT m.*, v.avg_price,
         percent_rank() OVER (ORDER BY m.cartons) AS pct_cartons,
         percent_rank() OVER (ORDER BY m.amount_fen) AS pct_amount,
         percent_rank() OVER (ORDER BY v.avg_price) AS pct_avg_price,
         ntile(10) OVER (ORDER BY m.cartons DESC, m.retailer_id) AS carton_band,
         ntile(3) OVER (ORDER BY v.avg_price DESC, m.retailer_id) AS price_band
  FROM m
  CROSS JOIN LATERAL (SELECT CASE WHEN m.cartons > 0 THEN m.amount_fen::numeric / m.cartons ELSE 0 END
                      AS avg_price) v
), scored AS (
  SELECT pr.*,
         (SELECT min(o.ordered_on) FROM sales_order o WHERE o.retailer_id = pr.retailer_id) AS first_order_on,
         round((%s * pct_cartons + %s * pct_amount + %s * pct_avg_price)::numeric, 4) AS score
  FROM pr
), ranked AS (
  SELECT scored.*, row_number() OVER (ORDER BY score DESC, retailer_id) AS rank,
         first_order_on IS NULL OR first_order_on > %s::date - %s AS is_new
  FROM scored
), cut AS (
  SELECT ranked.*,
         CASE WHEN %s = 'matrix' THEN 3 * (10 - carton_band) + (4 - price_band)
              ELSE {tiers} + 1 - width_bucket(rank, %s::int[]) END AS cut_tier
  FROM ranked
)
SELECT retailer_id, current_tier, cartons, amount_fen, avg_price, pct_cartons, pct_amount, pct_avg_price, score,
       rank, is_new, cut_tier, CASE WHEN is_new THEN least(cut_tier, %s) ELSE cut_tier END AS tier
FROM cut
"""


def tier_lower_bounds(*, n: int, shares: list) -> list[int]:
    """The lower rank bounds of tiers 30, 29, …, 1 for N retailers: width_bucket counts the bounds ≤ rank, so an
    empty tier is skipped."""
    counts = tier_counts(n=n, shares=shares)
    lower, seen = [], 0
    for tier in range(TIER_COUNT, 0, -1):
        lower.append(seen + 1)
        seen += counts[tier]
    return lower


def tier_scored_sql(
    *, user: User, parameters: dict, start: datetime.date, end: datetime.date
) -> tuple[str, list]:
    """The engine's grading of the user's territory for one period with these parameters, as one SELECT (sql,
    params): what a proposal would write, row for row. Nothing is written."""
    population = retailer_scope(user=user).filter(merged_into__isnull=True).exclude(status="closed")
    lower = tier_lower_bounds(n=population.count(), shares=parameters["tier_shares"])
    scope_sql, scope_params = queryset_sql(retailer_scope(user=user).values("id"))
    params = [
        *scope_params,
        start,
        end,
        parameters["weight_cartons"],
        parameters["weight_amount"],
        parameters["weight_avg_price"],
        end,
        parameters["new_days"],
        parameters["mode"],
        lower,
        parameters["new_retailer_cap"],
    ]
    return _SCORED_SQL.format(scope=scope_sql, tiers=TIER_COUNT), params
