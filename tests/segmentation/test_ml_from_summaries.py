"""The scoring stages read summaries instead of the orders and their lines: recommendations the retailer × product
weeks (sales_retailerproductsummary), churn the first and last order day of the weekly period summaries. On a
generated dataset with two or three orders in some weeks, withdrawn products sharing a substitute and every
weekday as as_of (so a window's bounds fall inside weeks, and some orders lie after as_of), what the summaries
give equals what the orders give: the bought set and the recommendations themselves; churn's recency, labels and
features at every cut-off.

The order-based queries below are the stages' queries as they were before the summaries, kept as the reference."""

import datetime

import numpy as np
import pytest
from django.db import connection

from sales.models import Product, RetailerProductSummary
from sales.services import period_summaries_rebuild
from segmentation.ml import recommendations
from segmentation.ml.churn import HISTORY_COLUMNS, HISTORY_SQL, WeeklyHistory, churn_features, cutoff_probes
from segmentation.ml.frames import sql_frame
from segmentation.ml.models import Recommendation
from segmentation.ml.parameters import ml_parameters
from tests.accounts.factories import RetailerFactory

END = datetime.date(2025, 6, 8)  # a Sunday: the last day with orders
WEEKS = 30

LINES_BOUGHT_SQL = """
CREATE TEMP TABLE _rec_bought ON COMMIT DROP AS
SELECT DISTINCT o.retailer_id, l.product_id
FROM sales_order o JOIN sales_orderline l ON l.order_id = o.id
WHERE o.ordered_on > %(as_of)s::date - 7 * %(weeks)s AND o.ordered_on <= %(as_of)s::date
"""

LINES_SUBSTITUTE = """
), substitute AS (
  SELECT DISTINCT ON (o.retailer_id, w.substitute_id)
         o.retailer_id, w.substitute_id AS product_id, 0 AS priority, NULL::bigint AS peers,
         NULL::bigint AS buyers, w.id AS substitute_for_id
  FROM sales_product w
  JOIN sales_product sub ON sub.id = w.substitute_id AND sub.status IN ('active', 'trial')
  JOIN sales_orderline l ON l.product_id = w.id
  JOIN sales_order o ON o.id = l.order_id
   AND o.ordered_on > (%(as_of)s::date - make_interval(months => %(window_months)s))::date
   AND o.ordered_on <= %(as_of)s::date
  WHERE w.status = 'withdrawn'
    AND EXISTS (SELECT 1 FROM _rec_peer p WHERE p.retailer_id = o.retailer_id)
    AND NOT EXISTS (SELECT 1 FROM _rec_bought b
                    WHERE b.retailer_id = o.retailer_id AND b.product_id = w.substitute_id)
  ORDER BY o.retailer_id, w.substitute_id, o.ordered_on DESC, w.id
"""


ORDERS_PROBES_SQL = """
WITH r AS MATERIALIZED (
  SELECT r.id, r.status FROM accounts_retailer r
  WHERE r.merged_into_id IS NULL AND EXISTS (SELECT 1 FROM sales_order o WHERE o.retailer_id = r.id)
)
SELECT r.id, c.k,
       c.day - (SELECT max(o.ordered_on) FROM sales_order o
                WHERE o.retailer_id = r.id AND o.ordered_on <= c.day) AS recency_days,
       CASE WHEN c.k >= %(horizon)s THEN
         (NOT EXISTS (SELECT 1 FROM sales_order o WHERE o.retailer_id = r.id
                      AND o.ordered_on > c.day AND o.ordered_on <= c.day + 7 * %(horizon)s))::int
       END AS churned
FROM r
CROSS JOIN (SELECT k, %(as_of)s::date - 7 * k AS day FROM unnest(%(ks)s::int[]) AS k) c
WHERE c.k > 0 OR r.status <> 'closed'
"""
PROBE_COLUMNS = {"retailer_id": "int64", "k": "int64", "recency_days": "float64", "churned": "float64"}


def _lines_insert_sql() -> str:
    sql = recommendations.INSERT_SQL
    start, end = sql.index("), substitute AS ("), sql.index("), candidate AS (")
    return sql[:start] + LINES_SUBSTITUTE.strip("\n") + "\n" + sql[end:]


@pytest.fixture
def world(make_product, buy, route_a, route_b):
    """45 retailers in two counties, a year's catalogue with three withdrawn products (two share a substitute),
    30 weeks of orders: most weeks one order on a random day, some weeks a second one on another day."""
    rng = np.random.default_rng(20251208)
    active = [make_product(f"品规A{i}") for i in range(8)]
    trial = make_product("品规T", status=Product.Status.TRIAL)
    w1 = make_product("品规W1", status=Product.Status.WITHDRAWN, substitute=active[7])
    w2 = make_product("品规W2", status=Product.Status.WITHDRAWN, substitute=active[7])
    w3 = make_product("品规W3", status=Product.Status.WITHDRAWN, substitute=active[6])
    withdrawn = [w1, w2, w3]
    orderable = [*active, trial]
    retailers = [RetailerFactory(route=route_a, tier=int(t)) for t in rng.integers(1, 11, 35)]
    retailers += [RetailerFactory(route=route_b, tier=int(t)) for t in rng.integers(1, 11, 10)]
    first_monday = END - datetime.timedelta(days=END.weekday() + 7 * (WEEKS - 1))
    for retailer in retailers:
        weights = rng.random(len(orderable)) ** 2
        weights /= weights.sum()
        for week in range(WEEKS):
            monday = first_monday + datetime.timedelta(weeks=week)
            days = rng.choice(7, size=2, replace=False)
            for n, weekday in enumerate(days):
                if rng.random() > (0.75 if n == 0 else 0.3):
                    continue
                count = int(rng.integers(1, 5))
                basket = list(rng.choice(len(orderable), size=count, replace=False, p=weights))
                products = [orderable[i] for i in basket]
                if rng.random() < 0.2:
                    products.append(withdrawn[int(rng.integers(0, 3))])
                day = monday + datetime.timedelta(days=int(weekday))
                buy(retailer, day, {p: int(rng.integers(1, 20)) for p in products}, rebuild=False)
    # a shop whose two withdrawn products share a substitute, bought around a Wednesday as_of: W1 on Tuesday and
    # Thursday, W2 on Wednesday. As of Wednesday the most recent is W2 (W1's week row says Thursday)
    tuesday = END - datetime.timedelta(days=5)
    straddler = RetailerFactory(route=route_a, tier=5)
    buy(straddler, tuesday, [w1, active[0]], rebuild=False)
    buy(straddler, tuesday + datetime.timedelta(days=1), [w2], rebuild=False)
    buy(straddler, tuesday + datetime.timedelta(days=2), [w1], rebuild=False)
    for weeks_before in range(
        2, 12
    ):  # and ordered before, so churn scores it: three orders straddle Wednesday
        buy(straddler, tuesday - datetime.timedelta(weeks=weeks_before), [active[1]], rebuild=False)
    # a shop that stopped for eight weeks and came back late in a week: its return falls just after a horizon that
    # ends earlier in that week
    last_monday = END - datetime.timedelta(days=6)
    lapser = RetailerFactory(route=route_a, tier=6)
    for weeks_before in range(12, 26):
        buy(lapser, last_monday - datetime.timedelta(weeks=weeks_before), [active[2]], rebuild=False)
    buy(
        lapser,
        last_monday - datetime.timedelta(weeks=4) + datetime.timedelta(days=5),
        [active[2]],
        rebuild=False,
    )
    period_summaries_rebuild()
    return retailers


def _bought(cursor, sql: str, params: dict) -> set[tuple[int, int]]:
    cursor.execute("DROP TABLE IF EXISTS _rec_bought")
    cursor.execute(sql, params)
    cursor.execute("SELECT retailer_id, product_id FROM _rec_bought")
    rows = set(cursor.fetchall())
    cursor.execute("DROP TABLE _rec_bought")
    return rows


def _recommended() -> list[tuple]:
    return list(
        Recommendation.objects.order_by("retailer_id", "rank").values_list(
            "retailer_id", "product_id", "rank", "kind", "peer_count", "peer_buyers", "substitute_for_id"
        )
    )


def test_recommendations_from_the_product_weeks_equal_those_from_the_lines(world, score_now, monkeypatch):
    run = score_now(as_of=END)
    parameters = ml_parameters(run)
    # every weekday of the last two weeks (orders after as_of in its own week), a day mid-history, and after
    days = [END - datetime.timedelta(days=d) for d in range(14)]
    days += [datetime.date(2025, 3, 12), END + datetime.timedelta(days=3)]
    kinds, straddled = set(), 0
    for as_of in days:
        run.parameters["as_of"] = as_of.isoformat()
        params = {"as_of": as_of.isoformat(), "weeks": parameters["rec_weeks"]}
        with connection.cursor() as cursor:
            from_lines = _bought(cursor, LINES_BOUGHT_SQL, params)
            assert _bought(cursor, recommendations.BOUGHT_SQL, params) == from_lines, as_of
            assert from_lines

            recommendations.recommendations_refresh(run=run, cursor=cursor, parameters=parameters)
            from_summaries = _recommended()
            with monkeypatch.context() as patch:
                patch.setattr(recommendations, "BOUGHT_SQL", LINES_BOUGHT_SQL)
                patch.setattr(recommendations, "INSERT_SQL", _lines_insert_sql())
                recommendations.recommendations_refresh(run=run, cursor=cursor, parameters=parameters)
            assert from_summaries == _recommended(), as_of
        kinds |= {row[3] for row in from_summaries}
        # a withdrawn product's week that holds as_of with orders on both sides: the exact-day fallback decides
        straddled += RetailerProductSummary.objects.filter(
            product__status=Product.Status.WITHDRAWN,
            week_start=as_of - datetime.timedelta(days=as_of.weekday()),
            first_ordered_on__lte=as_of,
            last_ordered_on__gt=as_of,
        ).count()
    assert kinds == {"peer", "substitute"}
    assert straddled > 0
    # the dataset has weeks of several orders, whose first and last days differ
    assert RetailerProductSummary.objects.filter(order_count__gt=1).exists()


def test_churn_recency_labels_and_features_from_the_weekly_rows_equal_those_from_the_orders(world):
    closed = world[3]
    closed.status = "closed"
    closed.save(update_fields=["status"])
    horizon, lookback = 8, 13
    ks = [0, 1, 2, 3, 4, 6, 8, 9, 10, 12]
    probed = 0
    for as_of in [END - datetime.timedelta(days=d) for d in range(14)] + [END + datetime.timedelta(days=2)]:
        week0 = as_of - datetime.timedelta(days=as_of.weekday())
        params = {"week0": week0, "as_of": as_of, "max_age": max(ks) + lookback, "ks": ks, "horizon": horizon}
        with connection.cursor() as cursor:
            history = WeeklyHistory(
                sql_frame(cursor, HISTORY_SQL, params, HISTORY_COLUMNS), params["max_age"]
            )
            reference = sql_frame(cursor, ORDERS_PROBES_SQL, params, PROBE_COLUMNS)
            probes = cutoff_probes(cursor, history, as_of=as_of, ks=ks, horizon=horizon)
        for k in ks:
            population = []
            for frame in (reference, probes):
                rows = frame[frame["k"] == k].sort_values("retailer_id")
                rows = rows[history.active(rows["retailer_id"].to_numpy(), k, lookback)]
                population.append(rows.reset_index(drop=True))
            ours, theirs = population
            assert len(theirs) > 20, (as_of, k)
            assert ours["retailer_id"].tolist() == theirs["retailer_id"].tolist(), (as_of, k)
            assert ours["recency_days"].tolist() == theirs["recency_days"].tolist(), (as_of, k)
            assert ours["churned"].fillna(-1).tolist() == theirs["churned"].fillna(-1).tolist(), (as_of, k)
            ids = ours["retailer_id"].to_numpy()
            window = history.window(ids, k, lookback)
            assert np.array_equal(
                churn_features(*window, ours["recency_days"].to_numpy()),
                churn_features(*window, theirs["recency_days"].to_numpy()),
                equal_nan=True,
            )
            # rows whose cut-off week has orders on both sides of it: two (the first day) or three (probed)
            unknown = history.at_cutoff(k, as_of.weekday() - 7 * k, horizon)[2]
            probed += np.isin(history.ids[unknown], ids).sum()
        assert closed.pk not in set(probes.loc[probes["k"] == 0, "retailer_id"])
    assert probed > 0


ORDERS_DAYS_SQL = """
SELECT r.id,
       (SELECT max(o.ordered_on) FROM sales_order o WHERE o.retailer_id = r.id AND o.ordered_on <= %(as_of)s::date),
       (SELECT min(o.ordered_on) FROM sales_order o WHERE o.retailer_id = r.id AND o.ordered_on <= %(as_of)s::date)
FROM accounts_retailer r WHERE r.merged_into_id IS NULL AND r.status <> 'closed'
ORDER BY r.id
"""


def test_scoring_reads_each_retailers_first_and_last_order_day_from_the_weekly_rows_as_the_orders_say(world):
    from segmentation.scoring.models import ScoringRun
    from segmentation.scoring.rules import SCORE_SQL, score_parameters
    from segmentation.scoring.services import lifecycle_rule_current

    days = [END - datetime.timedelta(days=d) for d in range(14)] + [END + datetime.timedelta(days=2)]
    days.append(END - datetime.timedelta(weeks=WEEKS - 1))  # the first week of the history
    for as_of in days:
        run = ScoringRun(parameters={"as_of": as_of.isoformat(), **lifecycle_rule_current().as_parameters()})
        with connection.cursor() as cursor:
            params = score_parameters(run=run, cursor=cursor)
            assert params["rows_hold_all_history"]
            cursor.execute(ORDERS_DAYS_SQL, params)
            expected = cursor.fetchall()
            for all_history in (True, False):  # from the rows; then as if older history lay outside them
                cursor.execute("DROP TABLE IF EXISTS _score")
                cursor.execute(SCORE_SQL, {**params, "rows_hold_all_history": all_history})
                cursor.execute("SELECT retailer_id, last_order_on, first_order_on FROM _score ORDER BY 1")
                assert cursor.fetchall() == expected, (as_of, all_history)
                cursor.execute("DROP TABLE _score")
        assert sum(1 for _r, last, _f in expected if last) > 20
