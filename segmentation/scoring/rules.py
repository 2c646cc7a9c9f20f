"""The scoring rules and the SQL statements that apply them, set-based in PostgreSQL (a run executes them in
scoring.services; scoring.selectors.scores_rule_check recomputes them to compare).

The rules, all evaluated in one pass by SCORE_SQL (weeks start on Monday, as the period summaries do):

Measures (window = the `window_months` months up to `as_of`; weekly summary rows whose week starts in it)
- recency_days: days from the last order on or before `as_of` to `as_of` (from the first and last order day the
  weekly rows keep; the order index only when as_of's week holds three or more orders on both sides of as_of, or
  the last order is older than the rows read); NULL if the retailer never ordered. first_order_on likewise, from
  the rows when they reach back to the start of all order history, else the order index.
- frequency / monetary_fen / cartons: orders, amount and cartons in the window; avg_price_fen (单条值) = amount ÷
  cartons, rounded.
- trend_pct: cartons in the 13 weeks up to and including the week of `as_of` against the 13 weeks before, in
  whole percent; NULL when the earlier 13 weeks had none.
- expected_weeks: complete weeks (the week of `as_of` is not yet complete) from the retailer's first order week
  in the window; order_weeks: those of them with an order; missed_weeks = expected − ordered.

Scores. Equal measures always get equal scores (no tie is broken by id).
- R follows the weekly order rhythm (shops order on their own weekday, so days inside one week mean nothing) and
  the lifecycle thresholds below, so R never contradicts the lifecycle: 5 = the last order is in this or last
  order week; 4 = one whole order week missed since; 3 = two or more missed but not yet at risk; 2 = lifecycle
  at_risk; 1 = lifecycle lost or no order in the window.
- F and M: among the retailers with an order in the window, within the peer group — the org unit × business
  format; when that has fewer buyers than the rule's `min_peer_group`, the nearest unit above × format, then the
  company with every format (the widest if none is big enough); stored as peer_unit/format/level/size and
  said on the portrait — by the share of the group strictly ahead (frequency, monetary descending): score = 5 − floor(5 × (rank − 1) ÷
  group size), rank() so equal values share a rank; 5 is "fewer than 20% of the group ahead". A retailer without
  an order in the window scores F1 M1.

RFM segment, first match wins: no order in the window → new if the lifecycle is new (a shop that has not ordered
yet), else lost · champions R≥4 F≥4 M≥4 · loyal R≥3 F≥4 · new R≥4 F=1 · potential R≥3 · cant_lose F≥4 M≥4 (R≤2:
a frequent, big buyer now at risk or lost, the one to win back) · at_risk R=2 F≥3 · hibernating R=2 · lost
(R=1). So a lifecycle new/active/reactivated is always champions, loyal, new or potential; at_risk is cant_lose,
at_risk or hibernating; lost is cant_lose or lost (RFM_BY_LIFECYCLE below; the portrait says why for
cant_lose).

Lifecycle (thresholds from LifecycleRule), first match wins: never ordered → new if the record was created
within `new_days`, else lost · no order for ≥ `lost_weeks` weeks → lost · for ≥ `at_risk_weeks` weeks →
at_risk · first order ever within `new_days` → new · ordered again after ≥ `lost_weeks` empty weeks, the return
within the last `reactivated_weeks` weeks (≤ `lost_weeks`) → reactivated · otherwise active.

Value class: the buyers ranked by monetary descending (equal amounts share a rank): rank within the first
`value_high_pct`% (rounded) high, beyond the last `value_low_pct`% low, the rest mid; no purchase → low.
Loyalty class: lifecycle lost → lost; active with order_weeks ≥ `loyal_regularity_pct`% of expected_weeks → loyal;
otherwise general.
Pareto: pareto_share is the cumulative share of the total monetary down to this retailer (amount descending, then
id); is_top20 marks the first 20% (rounded up) of the buyers — retailers without a purchase in the window are not
counted — with equal amounts at the edge kept together. run.stats["pareto"] gives the buyers and the share of them
that makes 80% of the amount (the Pareto rule's own question).

Retailers scored: not closed and not merged into another. The first score of a retailer records no change and
no event (nothing to compare with); later runs record a ScoreChange per changed class and a ScoringEvent for
lifecycle changes into at_risk, lost or reactivated. Every run also raises the licence-expiry events (90/60/30
days, LICENCE_EVENTS_SQL), the first run included: they depend on a date, not on a previous score.

After the scores are written the same run clusters the retailers, scores churn risk and replaces the
recommendations (segmentation.ml); run.stats["timings"] holds the seconds each step took.
"""

from django.conf import settings
from django.utils import timezone

from segmentation.scoring.models import LifecycleRule, RetailerScore, ScoringRun

DEFAULT_WINDOW_MONTHS = 12
TREND_WEEKS = 13
TOP_SHARE_PCT = 20
LICENCE_EVENT_DAYS = (90, 60, 30)  # days before a licence expires: the events raised

_SEG = RetailerScore.RfmSegment
_STAGE = RetailerScore.Lifecycle
# The RFM segments a lifecycle stage admits in the same run (SCORE_SQL makes R follow the lifecycle): a
# retailer ordering now is never "lost" or "at risk" by RFM, and a lost one is "lost" or, if it was a frequent big
# buyer, "cant_lose" (the portrait then says so: the one to win back).
RFM_BY_LIFECYCLE = {
    _STAGE.NEW: {_SEG.NEW, _SEG.POTENTIAL, _SEG.LOYAL, _SEG.CHAMPIONS},
    _STAGE.ACTIVE: {_SEG.NEW, _SEG.POTENTIAL, _SEG.LOYAL, _SEG.CHAMPIONS},
    _STAGE.REACTIVATED: {_SEG.NEW, _SEG.POTENTIAL, _SEG.LOYAL, _SEG.CHAMPIONS},
    _STAGE.AT_RISK: {_SEG.CANT_LOSE, _SEG.AT_RISK, _SEG.HIBERNATING},
    _STAGE.LOST: {_SEG.CANT_LOSE, _SEG.LOST},
}


SCORE_SQL = """
CREATE TEMP TABLE _score ON COMMIT DROP AS
WITH base AS MATERIALIZED (
  SELECT r.id AS retailer_id, r.org_unit_id, r.business_format,
         (r.created_at AT TIME ZONE %(tz)s)::date AS created_on
  FROM accounts_retailer r
  WHERE r.merged_into_id IS NULL AND r.status <> 'closed'
), agg AS (
  -- one plain aggregate over the weekly rows (no window function, so PostgreSQL can run it in parallel), from
  -- the earliest week any rule looks at, less lost_weeks so the gap before a return can be seen
  SELECT s.retailer_id,
         coalesce(sum(s.order_count) FILTER (WHERE s.period_start > %(window_start)s::date), 0) AS frequency,
         coalesce(sum(s.amount_fen) FILTER (WHERE s.period_start > %(window_start)s::date), 0) AS monetary_fen,
         coalesce(sum(s.cartons) FILTER (WHERE s.period_start > %(window_start)s::date), 0) AS cartons,
         min(s.period_start) FILTER (WHERE s.period_start > %(window_start)s::date) AS first_week,
         count(*) FILTER (WHERE s.period_start > %(window_start)s::date AND s.period_start < %(this_week)s::date) AS order_weeks,
         coalesce(sum(s.cartons) FILTER (
           WHERE s.period_start > %(this_week)s::date - 7 * %(trend_weeks)s), 0) AS recent_cartons,
         coalesce(sum(s.cartons) FILTER (
           WHERE s.period_start > %(this_week)s::date - 14 * %(trend_weeks)s
             AND s.period_start <= %(this_week)s::date - 7 * %(trend_weeks)s), 0) AS earlier_cartons,
         -- the first order week of the return window and the last order week before it: their gap tells a return
         min(s.period_start) FILTER (WHERE s.period_start > %(this_week)s::date - 7 * %(reactivated_weeks)s)
           AS return_week,
         max(s.period_start) FILTER (WHERE s.period_start <= %(this_week)s::date - 7 * %(reactivated_weeks)s)
           AS before_return_week,
         -- the first and last order day on or before as_of, from the rows' own days (see days below)
         min(s.first_ordered_on) FILTER (WHERE s.first_ordered_on <= %(as_of)s::date) AS first_day,
         max(s.last_ordered_on) FILTER (WHERE s.last_ordered_on <= %(as_of)s::date) AS last_day,
         max(s.order_count) FILTER (WHERE s.first_ordered_on <= %(as_of)s::date
                                      AND s.last_ordered_on > %(as_of)s::date) AS straddling_orders,
         min(s.first_ordered_on) FILTER (WHERE s.last_ordered_on > %(as_of)s::date) AS straddling_first
  FROM sales_retailerperiodsummary s
  WHERE s.period = 'week' AND s.order_count > 0 AND s.period_start <= %(as_of)s::date
    AND s.period_start > least(%(window_start)s::date, %(this_week)s::date - 14 * %(trend_weeks)s) - 7 * %(lost_weeks)s
  GROUP BY s.retailer_id
), days AS MATERIALIZED (
  -- The last order on or before as_of: as_of's week when it ordered on or before as_of (when that week also has
  -- orders after as_of: its first day if it holds two orders, else the order index), else the latest earlier
  -- week's last day. The first: the earliest row's first day when the rows read reach back past the start of
  -- all order history, else the order index. The index only for what the rows cannot tell (materialised: each
  -- probe runs once per retailer).
  SELECT b.*,
         CASE WHEN a.straddling_orders = 2 THEN a.straddling_first
              WHEN a.straddling_orders IS NULL AND a.last_day IS NOT NULL THEN a.last_day
              ELSE (SELECT max(o.ordered_on) FROM sales_order o
                    WHERE o.retailer_id = b.retailer_id AND o.ordered_on <= %(as_of)s::date)
         END AS last_order_on,
         CASE WHEN %(rows_hold_all_history)s THEN a.first_day
              ELSE (SELECT min(o.ordered_on) FROM sales_order o
                    WHERE o.retailer_id = b.retailer_id AND o.ordered_on <= %(as_of)s::date)
         END AS first_order_on
  FROM base b
  LEFT JOIN agg a ON a.retailer_id = b.retailer_id
), m AS (
  SELECT b.*, %(as_of)s::date AS as_of, %(this_week)s::date AS this_week,
         %(as_of)s::date - b.last_order_on AS recency_days,
         coalesce(a.frequency, 0) AS frequency, coalesce(a.monetary_fen, 0) AS monetary_fen,
         coalesce(a.cartons, 0) AS cartons,
         CASE WHEN a.cartons > 0 THEN round(a.monetary_fen::numeric / a.cartons) ELSE 0 END AS avg_price_fen,
         CASE WHEN a.earlier_cartons > 0
              THEN round(100.0 * (a.recent_cartons - a.earlier_cartons) / a.earlier_cartons) END AS trend_pct,
         coalesce(a.order_weeks, 0) AS order_weeks,
         CASE WHEN a.first_week IS NULL OR a.first_week >= %(this_week)s::date THEN 0
              ELSE (%(this_week)s::date - a.first_week) / 7 END AS expected_weeks,
         -- returned: more than lost_weeks between the last order week before the return window and the first in
         -- it, or no order week in the range before it while the retailer did order earlier than the range
         coalesce(a.return_week - a.before_return_week > 7 * %(lost_weeks)s,
                  a.return_week IS NOT NULL AND b.first_order_on < a.return_week) AS returned
  FROM days b
  LEFT JOIN agg a ON a.retailer_id = b.retailer_id
), staged AS (
  SELECT m.*,
         -- whole order weeks (Monday–Sunday) from the week of the last order to the week of as_of: 0 = ordered
         -- this week, 1 = last week; the complete weeks in between had no order
         (m.this_week - date_trunc('week', m.last_order_on)::date) / 7 AS weeks_since_order,
         CASE
           WHEN m.last_order_on IS NULL THEN
             CASE WHEN m.created_on > m.as_of - %(new_days)s THEN 'new' ELSE 'lost' END
           WHEN m.recency_days >= 7 * %(lost_weeks)s THEN 'lost'
           WHEN m.recency_days >= 7 * %(at_risk_weeks)s THEN 'at_risk'
           WHEN m.first_order_on > m.as_of - %(new_days)s THEN 'new'
           WHEN m.returned THEN 'reactivated'
           ELSE 'active'
         END AS lifecycle
  FROM m
), candidates AS (
  -- each buyer's possible peer groups, nearest first: its unit × format (level 0), each unit above it × format,
  -- then the company with every format (the unit ids come from the unit's materialised path "/1/4/9/")
  SELECT st.retailer_id, g.level, g.unit_id, g.fmt
  FROM staged st
  JOIN users_orgunit u ON u.id = st.org_unit_id
  CROSS JOIN LATERAL (SELECT string_to_array(trim(both '/' FROM u.path), '/')::int[] AS anc) p
  CROSS JOIN LATERAL (
    SELECT k AS level, p.anc[cardinality(p.anc) - k] AS unit_id, st.business_format::text AS fmt
    FROM generate_series(0, cardinality(p.anc) - 1) AS k
    UNION ALL SELECT cardinality(p.anc), p.anc[1], ''
  ) g
  WHERE st.frequency > 0
), group_sizes AS (
  SELECT unit_id, fmt, count(*) AS n FROM candidates GROUP BY unit_id, fmt
), chosen AS (
  -- the nearest group with at least min_peer_group buyers; if none has, the widest
  SELECT DISTINCT ON (c.retailer_id) c.retailer_id, c.level, c.unit_id, c.fmt, z.n
  FROM candidates c JOIN group_sizes z USING (unit_id, fmt)
  ORDER BY c.retailer_id, z.n >= %(min_peer_group)s DESC,
           CASE WHEN z.n >= %(min_peer_group)s THEN c.level ELSE -c.level END
), peer_ranks AS (
  -- ranks within the groups someone is scored in, over every buyer of the group; equal values share a rank
  SELECT c.retailer_id, c.unit_id, c.fmt,
         rank() OVER (PARTITION BY c.unit_id, c.fmt ORDER BY st.frequency DESC) AS f_rank,
         rank() OVER (PARTITION BY c.unit_id, c.fmt ORDER BY st.monetary_fen DESC) AS m_rank
  FROM candidates c JOIN staged st ON st.retailer_id = c.retailer_id
  WHERE (c.unit_id, c.fmt) IN (SELECT DISTINCT unit_id, fmt FROM chosen)
), ranked AS (
  SELECT staged.*,
         -- R follows the weekly order rhythm and the lifecycle thresholds, not a ranking: days inside one order
         -- week mean nothing when shops order on their own weekday
         CASE WHEN frequency = 0 OR lifecycle = 'lost' THEN 1
              WHEN lifecycle = 'at_risk' THEN 2
              WHEN weeks_since_order <= 1 THEN 5
              WHEN weeks_since_order = 2 THEN 4
              ELSE 3 END AS r_score,
         -- F and M: the share of the peer group strictly ahead, in fifths
         CASE WHEN frequency > 0 THEN 5 - floor(5.0 * (pr.f_rank - 1) / ch.n)::int ELSE 1 END AS f_score,
         CASE WHEN frequency > 0 THEN 5 - floor(5.0 * (pr.m_rank - 1) / ch.n)::int ELSE 1 END AS m_score,
         ch.unit_id AS peer_unit_id, coalesce(ch.fmt, '') AS peer_format, coalesce(ch.level, 0) AS peer_level,
         coalesce(ch.n, 0) AS peer_size,
         rank() OVER (ORDER BY monetary_fen DESC) AS value_rank,
         count(*) FILTER (WHERE monetary_fen > 0) OVER () AS buyers,
         count(*) OVER () AS scored,
         sum(monetary_fen) OVER () AS total_fen,
         sum(monetary_fen) OVER (ORDER BY monetary_fen DESC, staged.retailer_id ROWS UNBOUNDED PRECEDING)
           AS cumulative_fen
  FROM staged
  LEFT JOIN chosen ch USING (retailer_id)
  LEFT JOIN peer_ranks pr ON pr.retailer_id = ch.retailer_id AND pr.unit_id = ch.unit_id AND pr.fmt = ch.fmt
), classed AS (
  SELECT ranked.*,
         CASE
           WHEN frequency = 0 THEN CASE WHEN lifecycle = 'new' THEN 'new' ELSE 'lost' END
           WHEN r_score >= 4 AND f_score >= 4 AND m_score >= 4 THEN 'champions'
           WHEN r_score >= 3 AND f_score >= 4 THEN 'loyal'
           WHEN r_score >= 4 AND f_score = 1 THEN 'new'
           WHEN r_score >= 3 THEN 'potential'
           -- below R3 the retailer is at risk (R2) or lost (R1): a frequent, big buyer among them is one not to lose
           WHEN f_score >= 4 AND m_score >= 4 THEN 'cant_lose'
           WHEN r_score = 2 AND f_score >= 3 THEN 'at_risk'
           WHEN r_score = 2 THEN 'hibernating'
           ELSE 'lost'
         END AS rfm_segment,
         CASE
           WHEN monetary_fen = 0 THEN 'low'
           WHEN value_rank <= round(buyers * %(value_high_pct)s / 100.0) THEN 'high'
           WHEN value_rank > buyers - round(buyers * %(value_low_pct)s / 100.0) THEN 'low'
           ELSE 'mid'
         END AS value_class,
         CASE WHEN total_fen > 0 THEN round(cumulative_fen::numeric / total_fen, 4) ELSE 0 END AS pareto_share,
         monetary_fen > 0 AND value_rank <= ceil(buyers * %(top_share_pct)s / 100.0) AS is_top20
  FROM ranked
)
SELECT retailer_id, last_order_on, first_order_on, recency_days, frequency, monetary_fen, cartons,
       avg_price_fen, trend_pct, order_weeks, expected_weeks, expected_weeks - order_weeks AS missed_weeks,
       r_score, f_score, m_score, peer_unit_id, peer_format, peer_level, peer_size, rfm_segment, lifecycle,
       value_class,
       CASE
         WHEN lifecycle = 'lost' THEN 'lost'
         WHEN lifecycle = 'active' AND expected_weeks > 0
              AND order_weeks * 100 >= expected_weeks * %(loyal_regularity_pct)s THEN 'loyal'
         ELSE 'general'
       END AS loyalty_class,
       pareto_share, is_top20
FROM classed
"""

CHANGES_SQL = """
INSERT INTO segmentation_scorechange (retailer_id, run_id, field, old, new, at)
SELECT n.retailer_id, %(run_id)s, v.field, v.old, v.new, %(now)s
FROM _score n
JOIN segmentation_retailerscore o ON o.retailer_id = n.retailer_id
CROSS JOIN LATERAL (VALUES ('rfm_segment', o.rfm_segment, n.rfm_segment),
                           ('lifecycle', o.lifecycle, n.lifecycle),
                           ('value_class', o.value_class, n.value_class),
                           ('loyalty_class', o.loyalty_class, n.loyalty_class)) AS v (field, old, new)
WHERE v.old <> v.new
"""

EVENTS_SQL = """
INSERT INTO segmentation_scoringevent (retailer_id, run_id, kind, detail, at)
SELECT n.retailer_id, %(run_id)s,
       CASE n.lifecycle WHEN 'at_risk' THEN 'became_at_risk' WHEN 'lost' THEN 'became_lost'
                        ELSE 'reactivated' END,
       jsonb_build_object('from', o.lifecycle, 'recency_days', n.recency_days),
       %(now)s
FROM _score n
JOIN segmentation_retailerscore o ON o.retailer_id = n.retailer_id
WHERE n.lifecycle <> o.lifecycle AND n.lifecycle IN ('at_risk', 'lost', 'reactivated')
"""


# Once per licence expiry date and threshold; a run that finds 25 days left raises only the 30-day event (a
# "90 days left" notice would be wrong by then), and a renewed licence (a new expiry date) starts over.
LICENCE_EVENTS_SQL = """
INSERT INTO segmentation_scoringevent (retailer_id, run_id, kind, ref_date, detail, at)
SELECT r.id, %(run_id)s, 'licence_expiring_' || t.days, r.licence_expires_on,
       jsonb_build_object('days_left', r.licence_expires_on - %(as_of)s::date), %(now)s
FROM accounts_retailer r
CROSS JOIN LATERAL (SELECT min(d) AS days FROM unnest(%(licence_days)s::int[]) AS d
                    WHERE r.licence_expires_on - %(as_of)s::date <= d) AS t
WHERE r.merged_into_id IS NULL AND r.status <> 'closed'
  AND r.licence_expires_on > %(as_of)s::date
  AND r.licence_expires_on <= %(as_of)s::date + %(licence_max_days)s
ON CONFLICT (retailer_id, kind, ref_date) WHERE ref_date IS NOT NULL DO NOTHING
"""

SCORE_COLUMNS = (
    "last_order_on",
    "first_order_on",
    "recency_days",
    "frequency",
    "monetary_fen",
    "cartons",
    "avg_price_fen",
    "trend_pct",
    "order_weeks",
    "expected_weeks",
    "missed_weeks",
    "r_score",
    "f_score",
    "m_score",
    "peer_unit_id",
    "peer_format",
    "peer_level",
    "peer_size",
    "rfm_segment",
    "lifecycle",
    "value_class",
    "loyalty_class",
    "pareto_share",
    "is_top20",
)

# Update in place (a hash join, rows stay on their page: see RetailerScore.run), then add the newly scored.
UPDATE_SQL = """
UPDATE segmentation_retailerscore t SET run_id = %(run_id)s, computed_at = %(now)s, {updates}
FROM _score n WHERE n.retailer_id = t.retailer_id
""".format(updates=", ".join(f"{c} = n.{c}" for c in SCORE_COLUMNS))

INSERT_SQL = """
INSERT INTO segmentation_retailerscore (retailer_id, run_id, computed_at, {columns})
SELECT retailer_id, %(run_id)s, %(now)s, {columns} FROM _score n
WHERE NOT EXISTS (SELECT 1 FROM segmentation_retailerscore t WHERE t.retailer_id = n.retailer_id)
""".format(columns=", ".join(SCORE_COLUMNS))  # noqa: S608 - the column names are constants

PARETO_STATS_SQL = """
SELECT count(*), count(*) FILTER (WHERE cumulative < 0.8 * total)
FROM (SELECT monetary_fen, sum(monetary_fen) OVER (ORDER BY monetary_fen DESC, retailer_id ROWS UNBOUNDED PRECEDING)
             - monetary_fen AS cumulative, sum(monetary_fen) OVER () AS total
      FROM _score WHERE monetary_fen > 0) s
"""

STATS_SQL = """
SELECT 'lifecycle', lifecycle, count(*) FROM _score GROUP BY lifecycle
UNION ALL SELECT 'rfm_segment', rfm_segment, count(*) FROM _score GROUP BY rfm_segment
UNION ALL SELECT 'value_class', value_class, count(*) FROM _score GROUP BY value_class
UNION ALL SELECT 'loyalty_class', loyalty_class, count(*) FROM _score GROUP BY loyalty_class
"""


def score_parameters(*, run: ScoringRun, cursor) -> dict:
    params = {
        "window_months": DEFAULT_WINDOW_MONTHS,
        **run.parameters,
        "tz": settings.TIME_ZONE,
        "trend_weeks": TREND_WEEKS,
        "top_share_pct": TOP_SHARE_PCT,
        "licence_days": list(LICENCE_EVENT_DAYS),
        "licence_max_days": max(LICENCE_EVENT_DAYS),
        "run_id": run.pk,
        "now": timezone.now(),
    }
    params.setdefault("min_peer_group", LifecycleRule._meta.get_field("min_peer_group").default)
    # the dates every rule compares with, as plain parameters: constants let PostgreSQL plan the big aggregate over
    # the weekly rows in parallel
    cursor.execute(
        "SELECT date_trunc('week', %(as_of)s::date)::date, "
        "(%(as_of)s::date - make_interval(months => %(window_months)s))::date",
        params,
    )
    params["this_week"], params["window_start"] = cursor.fetchone()
    # whether the weekly rows SCORE_SQL reads reach back past the first order week of all (then they tell each
    # retailer's first order day without the order index)
    cursor.execute(
        "SELECT coalesce(min(period_start) > least(%(window_start)s::date, "
        "%(this_week)s::date - 14 * %(trend_weeks)s) - 7 * %(lost_weeks)s, true) "
        "FROM sales_retailerperiodsummary WHERE period = 'week'",
        params,
    )
    params["rows_hold_all_history"] = cursor.fetchone()[0]
    return params
