"""Recommendations: up to `rec_max` (5) products per scored retailer, set-based in PostgreSQL, replacing the
previous run's set (DELETE + INSERT … SELECT in the run's transaction, so readers see the old set until commit).

- Buys: a retailer buys a product when an order line of it falls in the last `rec_weeks` (13) weeks up to as_of.
  What was bought when is read from the retailer × product weeks (sales.RetailerProductSummary, kept by every
  order write), ~a row per retailer, product and week instead of a join of the orders with their lines.
- Peer group: the scored retailers of the same county (the retailer's org unit's county ancestor, or the unit
  itself when it has none), business format and tier band (tiers 1–10, 11–20, 21–30 with `rec_tier_band` = 10;
  untiered retailers form their own band). Peers of a retailer are the group's retailers that bought anything in
  those weeks, the retailer itself left out.
- Peer candidate: an active or trial product that at least `rec_min_share_pct`% (30) of the retailer's peers buy
  and the retailer does not, when it has at least `rec_min_peers` (5) peers. Ranked by that share (highest
  first), then by number of buyers, then by product id.
- Substitute: a retailer that bought a now withdrawn product in the scoring window (`window_months`) and does
  not buy its substitute (active or trial) gets the substitute first, naming the withdrawn product (the most
  recently bought one when several share a substitute). Substitutes rank before peer candidates.
"""

from segmentation.scoring.models import ScoringRun

COUNTY_SQL = """
CREATE TEMP TABLE _rec_peer ON COMMIT DROP AS
WITH county AS MATERIALIZED (  -- once per org unit, not once per retailer
  SELECT u.id AS org_unit_id,
         coalesce((SELECT c.id FROM users_orgunit c
                   WHERE c.kind = 'county' AND u.path LIKE c.path || '%%'
                   ORDER BY length(c.path) DESC LIMIT 1), u.id) AS county_id
  FROM users_orgunit u
), peer AS (
  SELECT s.retailer_id, cty.county_id, r.business_format, coalesce((r.tier - 1) / %(band)s, -1) AS band,
         EXISTS (SELECT 1 FROM _rec_bought b WHERE b.retailer_id = s.retailer_id) AS buys
  FROM segmentation_retailerscore s
  JOIN accounts_retailer r ON r.id = s.retailer_id
  JOIN county cty ON cty.org_unit_id = r.org_unit_id
)
-- one integer per peer group: the planner estimates a join on it far better than on three correlated columns
SELECT retailer_id, buys, dense_rank() OVER (ORDER BY county_id, business_format, band) AS group_id
FROM peer
"""

# Read from the retailer × product weeks kept by every order write (sales_retailerproductsummary), not the lines.
# A week row has an order day in the window (start, as_of] exactly when its last day is after start and its first
# day on or before as_of: a window of 7 days or more cannot hold both bounds inside one week (the rows' days span
# at most 6), so a row meeting both has its first or its last day inside. The same holds for the substitutes'
# window of window_months.
BOUGHT_SQL = """
CREATE TEMP TABLE _rec_bought ON COMMIT DROP AS
SELECT DISTINCT s.retailer_id, s.product_id
FROM sales_retailerproductsummary s
WHERE s.week_start > %(as_of)s::date - 7 * %(weeks)s - 7 AND s.week_start <= %(as_of)s::date
  AND s.last_ordered_on > %(as_of)s::date - 7 * %(weeks)s AND s.first_ordered_on <= %(as_of)s::date
"""

# Per peer group and product: how many of the group's buying retailers buy it (orderable products only), kept
# when it could reach the share for some retailer of the group (the weakest case: a buyer, one peer fewer).
SHARE_SQL = """
CREATE TEMP TABLE _rec_share ON COMMIT DROP AS
WITH grp AS (
  SELECT group_id, count(*) FILTER (WHERE buys) AS buying FROM _rec_peer GROUP BY group_id
), share AS (
  SELECT p.group_id, b.product_id, count(*) AS buyers
  FROM _rec_peer p JOIN _rec_bought b ON b.retailer_id = p.retailer_id
  GROUP BY p.group_id, b.product_id
)
SELECT sh.group_id, sh.product_id, g.buying, sh.buyers
FROM share sh
JOIN grp g ON g.group_id = sh.group_id
JOIN sales_product pr ON pr.id = sh.product_id AND pr.status IN ('active', 'trial')
WHERE g.buying >= %(min_peers)s AND sh.buyers * 100 >= %(min_share_pct)s * (g.buying - 1)
"""

INSERT_SQL = """
INSERT INTO segmentation_recommendation
  (run_id, retailer_id, product_id, rank, kind, peer_count, peer_buyers, substitute_for_id)
WITH peer AS (
  SELECT p.retailer_id, sh.product_id, 1 AS priority, sh.buying - p.buys::int AS peers, sh.buyers,
         NULL::bigint AS substitute_for_id
  FROM _rec_peer p
  JOIN _rec_share sh ON sh.group_id = p.group_id
  WHERE sh.buying - p.buys::int >= %(min_peers)s
    AND sh.buyers * 100 >= %(min_share_pct)s * (sh.buying - p.buys::int)
    AND NOT EXISTS (SELECT 1 FROM _rec_bought b
                    WHERE b.retailer_id = p.retailer_id AND b.product_id = sh.product_id)
), substitute AS (
  -- the day a withdrawn product was last bought in the window, per week row: its last day, unless that lies
  -- after as_of (only in as_of's own week, when a run scores a past day): then that week's lines say
  SELECT DISTINCT ON (s.retailer_id, w.substitute_id)
         s.retailer_id, w.substitute_id AS product_id, 0 AS priority, NULL::bigint AS peers,
         NULL::bigint AS buyers, w.id AS substitute_for_id
  FROM sales_product w
  JOIN sales_product sub ON sub.id = w.substitute_id AND sub.status IN ('active', 'trial')
  JOIN sales_retailerproductsummary s ON s.product_id = w.id
   AND s.week_start > (%(as_of)s::date - make_interval(months => %(window_months)s))::date - 7
   AND s.week_start <= %(as_of)s::date
   AND s.last_ordered_on > (%(as_of)s::date - make_interval(months => %(window_months)s))::date
   AND s.first_ordered_on <= %(as_of)s::date
  WHERE w.status = 'withdrawn'
    AND EXISTS (SELECT 1 FROM _rec_peer p WHERE p.retailer_id = s.retailer_id)
    AND NOT EXISTS (SELECT 1 FROM _rec_bought b
                    WHERE b.retailer_id = s.retailer_id AND b.product_id = w.substitute_id)
  ORDER BY s.retailer_id, w.substitute_id,
           CASE WHEN s.last_ordered_on <= %(as_of)s::date THEN s.last_ordered_on
                ELSE (SELECT max(o.ordered_on) FROM sales_order o
                      JOIN sales_orderline l ON l.order_id = o.id AND l.ordered_on = o.ordered_on AND l.product_id = s.product_id
                      WHERE o.retailer_id = s.retailer_id
                        AND o.ordered_on >= s.week_start AND o.ordered_on <= %(as_of)s::date)
           END DESC,
           w.id
), candidate AS (
  SELECT DISTINCT ON (retailer_id, product_id) *
  FROM (SELECT * FROM substitute UNION ALL SELECT * FROM peer) c
  ORDER BY retailer_id, product_id, priority
), ranked AS (
  SELECT candidate.*,
         row_number() OVER (PARTITION BY retailer_id
                            ORDER BY priority, buyers::numeric / peers DESC, buyers DESC, product_id) AS rank
  FROM candidate
)
SELECT %(run_id)s, retailer_id, product_id, rank,
       CASE priority WHEN 0 THEN 'substitute' ELSE 'peer' END, peers, buyers, substitute_for_id
FROM ranked
WHERE rank <= %(max)s
ORDER BY retailer_id, rank
"""

STATS_SQL = """
SELECT kind, count(*), count(DISTINCT retailer_id) FROM segmentation_recommendation GROUP BY kind
"""


def recommendations_refresh(*, run: ScoringRun, cursor, parameters: dict) -> dict:
    """Replace every recommendation with this run's. Returns stats for run.stats["recommendations"]."""
    params = {
        "run_id": run.pk,
        "as_of": run.parameters["as_of"],
        "window_months": run.parameters.get("window_months", 12),
        "weeks": parameters["rec_weeks"],
        "band": parameters["rec_tier_band"],
        "min_share_pct": parameters["rec_min_share_pct"],
        "min_peers": parameters["rec_min_peers"],
        "max": parameters["rec_max"],
    }
    # the ranking sorts ~10 candidates per retailer: at province scale that is a million rows, in memory
    cursor.execute("SET LOCAL work_mem = '256MB'")
    for table in ("_rec_share", "_rec_peer", "_rec_bought"):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")  # a retried run in the same session
    cursor.execute(BOUGHT_SQL, params)
    cursor.execute("CREATE INDEX ON _rec_bought (retailer_id, product_id)")
    cursor.execute("ANALYZE _rec_bought")
    cursor.execute(COUNTY_SQL, params)
    cursor.execute("ANALYZE _rec_peer")
    cursor.execute(SHARE_SQL, params)
    cursor.execute("ANALYZE _rec_share")
    cursor.execute("DELETE FROM segmentation_recommendation")
    cursor.execute(INSERT_SQL, params)
    rows = cursor.rowcount
    cursor.execute(STATS_SQL)
    by_kind = {kind: {"rows": count, "retailers": retailers} for kind, count, retailers in cursor.fetchall()}
    cursor.execute("DROP TABLE _rec_share; DROP TABLE _rec_peer; DROP TABLE _rec_bought")
    return {
        "rows": rows,
        "by_kind": by_kind,
        **{k: v for k, v in params.items() if k not in ("run_id", "as_of")},
    }
