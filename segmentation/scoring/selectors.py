"""Reads of scores and scoring runs, always through the accounts scoping: a retailer's current score, the runs,
the events other apps follow, the explorer's figures, and the check of stored classes against the rules."""

from django.db import connection, connections, router, transaction
from django.db.models import QuerySet

from accounts.selectors import retailer_get, retailer_scope
from core.db import queryset_sql
from segmentation.scoring.models import RetailerScore, ScoringEvent, ScoringRun
from segmentation.scoring.rules import SCORE_SQL, TOP_SHARE_PCT, score_parameters
from segmentation.tiers.models import TIER_COUNT
from users.models import User


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


def scoring_run_latest_done() -> ScoringRun | None:
    return ScoringRun.objects.filter(status=ScoringRun.Status.DONE).order_by("-id").first()


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


# the stored classes a run derives by rule, which rules_check compares with a recomputation
CHECKED_COLUMNS = (
    "lifecycle",
    "r_score",
    "f_score",
    "m_score",
    "peer_unit_id",
    "peer_format",
    "peer_size",
    "rfm_segment",
    "value_class",
    "loyalty_class",
    "is_top20",
)


def scores_rule_check(*, sample: int = 10) -> dict:
    """Recompute the latest finished run's measures and classes (its own parameters, today's data, into a temp table
    that is dropped again) and count the current scores whose stored class the rule would change — by column, with a
    few retailer ids. Orders imported after the run for days it covered show here until the next run."""
    run = scoring_run_latest_done()
    if run is None:
        return {"run": None, "count": 0, "by_column": {}, "sample": []}
    differs = " OR ".join(f"s.{c} IS DISTINCT FROM n.{c}" for c in CHECKED_COLUMNS)
    per_column = ", ".join(f"count(*) FILTER (WHERE s.{c} IS DISTINCT FROM n.{c})" for c in CHECKED_COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        params = score_parameters(run=run, cursor=cursor)
        cursor.execute("DROP TABLE IF EXISTS _score")
        cursor.execute(SCORE_SQL, params)
        cursor.execute(
            f"SELECT count(*), {per_column} FROM segmentation_retailerscore s "  # noqa: S608 - constant columns
            f"JOIN _score n ON n.retailer_id = s.retailer_id WHERE {differs}"
        )
        count, *columns = cursor.fetchone()
        cursor.execute(
            f"SELECT s.retailer_id FROM segmentation_retailerscore s "  # noqa: S608 - constant columns
            f"JOIN _score n ON n.retailer_id = s.retailer_id WHERE {differs} ORDER BY 1 LIMIT %s",
            [sample],
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("DROP TABLE _score")
    by_column = {c: n for c, n in zip(CHECKED_COLUMNS, columns, strict=True) if n}
    return {"run": run.pk, "count": count, "by_column": by_column, "sample": ids}
