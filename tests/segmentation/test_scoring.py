"""Scoring runs on small hand-computed datasets: each measure, quintile cuts, classes, history and events."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import Retailer
from segmentation.scoring.explanations import rfm_explanation, score_explanation
from segmentation.scoring.models import LifecycleRule, RetailerScore, ScoreChange, ScoringEvent
from segmentation.scoring.rules import RFM_BY_LIFECYCLE
from segmentation.scoring.services import lifecycle_rule_current
from tests.accounts.factories import RetailerFactory
from tests.segmentation.conftest import AS_OF, weeks_ago


def set_rule(**values) -> None:
    """Edit the one lifecycle rule row, as the admin does (a flushing test elsewhere may have removed the seeded
    row: lifecycle_rule_current gives it back)."""
    LifecycleRule.objects.filter(pk=lifecycle_rule_current().pk).update(**values)


def score_of(retailer) -> RetailerScore:
    return RetailerScore.objects.get(retailer=retailer)


def test_measures_of_one_retailer_are_computed_from_its_weekly_summaries(retailer_a, place_orders, score_now):
    place_orders(retailer_a, [(weeks_ago(1), 10), (weeks_ago(20), 4)])
    place_orders(retailer_a, [(weeks_ago(2), 5)], price_fen=20000)
    place_orders(retailer_a, [(AS_OF - datetime.timedelta(days=400), 3)])  # before the 12-month window
    place_orders(retailer_a, [(weeks_ago(-1), 50)])  # after as_of: ignored

    run = score_now()

    assert run.status == "done"
    assert run.scored_count == 1
    s = score_of(retailer_a)
    assert s.run_id == run.pk
    assert s.last_order_on == weeks_ago(1)
    assert s.recency_days == 9  # Monday 26 May to Wednesday 4 June
    assert s.first_order_on == AS_OF - datetime.timedelta(days=400)
    assert (s.frequency, s.cartons, s.monetary_fen) == (3, 19, 240_000)
    assert s.avg_price_fen == 12_632  # 240000 / 19 = 12631.6
    assert s.trend_pct == 275  # 15 cartons in the last 13 weeks against 4 in the 13 before
    assert (s.expected_weeks, s.order_weeks, s.missed_weeks) == (20, 3, 17)
    # back 2 weeks ago after 17 empty weeks: reactivated
    assert s.lifecycle == RetailerScore.Lifecycle.REACTIVATED
    assert (s.r_score, s.f_score, s.m_score) == (5, 5, 5)  # alone in its peer group
    assert s.pareto_share == Decimal("1.0000")
    assert s.is_top20


def test_ten_retailers_with_equal_recency_get_one_r_score_and_equal_frequency_one_f_score(
    route_a, place_orders, score_now
):
    same_day = [RetailerFactory(route=route_a) for _ in range(10)]
    for i, retailer in enumerate(same_day):
        # ordered on the same day, twice each; only the amount differs
        place_orders(retailer, [(weeks_ago(3), 5), (weeks_ago(1, weekday=2), i + 1)])
    # ordered in the same order week but on their own weekday (Monday to Sunday): recency 3 to 9 days
    weekdays = [RetailerFactory(route=route_a) for _ in range(7)]
    for day, retailer in enumerate(weekdays):
        place_orders(retailer, [(weeks_ago(3), 5), (weeks_ago(1, weekday=day), 3)])

    score_now()

    scores = [score_of(r) for r in same_day]
    assert {s.recency_days for s in scores} == {7}
    assert {s.r_score for s in scores} == {5}
    assert {s.f_score for s in scores} == {5}  # 2 orders each: one rank, nobody ahead
    assert len({s.m_score for s in scores}) > 1  # the amounts differ, so M does
    assert {score_of(r).recency_days for r in weekdays} == {3, 4, 5, 6, 7, 8, 9}
    assert {score_of(r).r_score for r in weekdays} == {5}


def test_f_and_m_are_cut_by_the_share_of_the_peer_group_ahead_with_ties_kept_together(
    route_a, place_orders, score_now
):
    group = [RetailerFactory(route=route_a) for _ in range(7)]
    counts = [3, 3, 3, 2, 2, 1, 1]
    for i, (retailer, count) in enumerate(zip(group, counts, strict=True)):
        # all within last order week; amounts 6, 12, … 42 cartons
        per_order = 6 * (i + 1) // count
        place_orders(retailer, [(weeks_ago(1, weekday=k), per_order) for k in range(count)])
    grocery = RetailerFactory(route=route_a, business_format=Retailer.BusinessFormat.GROCERY)
    place_orders(grocery, [(weeks_ago(30), 1)])
    idle = RetailerFactory(route=route_a)  # no order, registered after AS_OF: a new shop
    set_rule(min_peer_group=5)  # the seven make a group of their own

    score_now()

    scores = [score_of(r) for r in group]
    assert [s.r_score for s in scores] == [5] * 7  # all ordered in the last order week
    # score = 5 − floor(5 × (rank − 1) / 7): three tie at rank 1, two at rank 4, two at rank 6
    assert [s.f_score for s in scores] == [5, 5, 5, 3, 3, 2, 2]
    assert [s.m_score for s in scores] == [1, 2, 3, 3, 4, 5, 5]
    assert [s.rfm_segment for s in scores] == [
        "loyal",  # R5 F5 M1
        "loyal",  # R5 F5 M2
        "loyal",  # R5 F5 M3
        "potential",  # R5 F3 M3
        "potential",  # R5 F3 M4
        "potential",  # R5 F2 M5
        "potential",  # R5 F2 M5
    ]
    assert {s.peer_level for s in scores} == {0}
    assert {s.peer_size for s in scores} == {7}
    # 30 weeks without an order is lost, and R says the same; alone in its format, it is compared with all eight
    # buyers of the company, where one order of one carton ranks low (F: 5 of 8 ahead, M: 7 of 8): lost
    lone = score_of(grocery)
    assert (lone.lifecycle, lone.r_score, lone.f_score, lone.m_score) == ("lost", 1, 2, 1)
    assert (lone.peer_format, lone.peer_size, lone.peer_level) == ("", 8, 3)
    assert lone.rfm_segment == RetailerScore.RfmSegment.LOST
    idle_score = score_of(idle)
    assert (idle_score.r_score, idle_score.f_score, idle_score.m_score) == (1, 1, 1)
    assert (idle_score.lifecycle, idle_score.rfm_segment) == ("new", "new")  # not "lost": it never started
    assert "尚未订货" in rfm_explanation(idle_score)


def test_a_lone_retailer_is_scored_against_its_parent_group_and_the_explanation_says_so(
    county_a, route_a, route_b, place_orders, score_now
):
    from tests.users.factories import DepartmentFactory, ManagerFactory, RouteFactory

    set_rule(min_peer_group=3)
    fmt = Retailer.BusinessFormat
    dept_a2 = DepartmentFactory(name="老城营销二部", parent=county_a)
    route_a2 = RouteFactory(code="LC-A02", org_unit=dept_a2, manager=ManagerFactory(org_unit=dept_a2))
    lone = RetailerFactory(route=route_a, business_format=fmt.SUPERMARKET)  # the only supermarket of dept_a
    place_orders(lone, [(weeks_ago(2), 50), (weeks_ago(1), 50)])
    county_peers = [RetailerFactory(route=route_a2, business_format=fmt.SUPERMARKET) for _ in range(3)]
    for peer in county_peers:
        place_orders(peer, [(weeks_ago(n), 1) for n in range(1, 5)])
    grocery = RetailerFactory(route=route_b, business_format=fmt.GROCERY)  # alone in the whole company
    place_orders(grocery, [(weeks_ago(1), 5)])

    score_now()

    s = score_of(lone)
    # against its own (empty) group it would be 5/5/5, a "champion"; against the county's 4 supermarkets it orders
    # least often (3 of 4 ahead) and buys most
    assert (s.peer_unit_id, s.peer_format, s.peer_level, s.peer_size) == (county_a.pk, "S", 1, 4)
    assert (s.r_score, s.f_score, s.m_score) == (5, 2, 5)
    assert s.rfm_segment == RetailerScore.RfmSegment.POTENTIAL
    text = rfm_explanation(score_of(lone))
    assert "本单位同业态有订货的客户不足 3 户，F、M 改与老城区·超市比较" in text
    assert "订货次数居老城区·超市 4 户前 80%" in text
    # no group of its format is big enough anywhere: the company with every format
    g = score_of(grocery)
    assert (g.peer_format, g.peer_level, g.peer_size) == ("", 3, 5)
    assert "F、M 改与测试市烟草公司·全部业态比较" in rfm_explanation(g)
    # the peers themselves are a group of three in their own department
    assert {(score_of(p).peer_level, score_of(p).peer_size) for p in county_peers} == {(0, 3)}
    assert "同单位同业态 3 户" in rfm_explanation(score_of(county_peers[0]))


def test_lifecycle_stages_follow_the_rule_thresholds(route_a, place_orders, score_now):
    active, at_risk, lost, new, back, never_new, never_old = (
        RetailerFactory(route=route_a) for _ in range(7)
    )
    place_orders(active, [(weeks_ago(n), 5) for n in range(1, 31)])
    place_orders(at_risk, [(weeks_ago(n), 5) for n in range(4, 31)])  # 30 days without an order
    place_orders(lost, [(weeks_ago(n), 5) for n in range(10, 31)])  # 72 days
    place_orders(new, [(weeks_ago(3), 5), (weeks_ago(1), 5)])
    place_orders(back, [*[(weeks_ago(n), 5) for n in range(20, 31)], (weeks_ago(1), 5)])
    Retailer.objects.filter(pk=never_new.pk).update(
        created_at=datetime.datetime(2025, 5, 1, tzinfo=datetime.UTC)
    )
    Retailer.objects.filter(pk=never_old.pk).update(
        created_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    )

    run = score_now()

    stage = {r.pk: score_of(r).lifecycle for r in (active, at_risk, lost, new, back, never_new, never_old)}
    assert stage == {
        active.pk: "active",
        at_risk.pk: "at_risk",
        lost.pk: "lost",
        new.pk: "new",
        back.pk: "reactivated",
        never_new.pk: "new",
        never_old.pk: "lost",
    }
    assert score_of(active).loyalty_class == "loyal"  # 30 of 30 expected weeks
    assert score_of(at_risk).loyalty_class == "general"
    assert score_of(lost).loyalty_class == "lost"
    assert run.stats["lifecycle"] == {"active": 1, "at_risk": 1, "lost": 2, "new": 2, "reactivated": 1}
    # R follows the stages, so the RFM segment never contradicts the lifecycle
    r_by_stage = {score_of(r).lifecycle: score_of(r).r_score for r in (active, at_risk, lost, back)}
    assert r_by_stage == {"active": 5, "at_risk": 2, "lost": 1, "reactivated": 5}
    for score in RetailerScore.objects.all():
        assert score.rfm_segment in RFM_BY_LIFECYCLE[score.lifecycle], (score.lifecycle, score.rfm_segment)
    assert run.parameters["at_risk_weeks"] == 3

    # the rule is data: five weeks of silence before "at risk" makes the 30-day gap ordinary again
    set_rule(at_risk_weeks=5)
    run = score_now()
    assert run.parameters["at_risk_weeks"] == 5
    assert score_of(at_risk).lifecycle == "active"


def test_the_rule_the_runs_use_is_the_row_the_admin_edits(db):
    # seeded by migration 0007 with the defaults, so the admin sees (and edits) what the runs use
    rule = lifecycle_rule_current()
    assert LifecycleRule.objects.get().pk == rule.pk
    assert (rule.at_risk_weeks, rule.lost_weeks, rule.min_peer_group) == (3, 8, 10)
    LifecycleRule.objects.all().delete()  # a database flushed of it gets the row back, not invisible defaults
    assert LifecycleRule.objects.filter(pk=lifecycle_rule_current().pk).exists()


def test_explanation_says_why_in_plain_words(route_a, place_orders, score_now):
    at_risk = RetailerFactory(route=route_a)
    place_orders(at_risk, [(weeks_ago(n), 5) for n in range(4, 31)])
    score_now()
    text = score_explanation(score_of(at_risk))
    assert text.startswith("流失风险：已 4 周未订货，平时每周订货")
    assert "近 30 个应订货周中缺订 3 周" in text
    assert "近13周订货量比前13周减少 31%" in text  # 9 order weeks against 13


def test_value_classes_and_pareto_share_rank_buyers_by_amount(route_a, place_orders, score_now):
    shops = [RetailerFactory(route=route_a) for _ in range(6)]
    for shop, cartons in zip(shops, [50, 20, 15, 10, 5], strict=False):  # the sixth buys nothing
        place_orders(shop, [(weeks_ago(1), cartons)])

    run = score_now()

    scores = [score_of(s) for s in shops]
    # 5 buyers: round(5 × 33%) = 2 high, 2 low, the rest mid; no purchase is low
    assert [s.value_class for s in scores] == ["high", "high", "mid", "low", "low", "low"]
    assert [s.pareto_share for s in scores] == [
        Decimal("0.5000"),
        Decimal("0.7000"),
        Decimal("0.8500"),
        Decimal("0.9500"),
        Decimal("1.0000"),
        Decimal("1.0000"),
    ]
    # the top 20% of the 5 buyers, not of all 6 scored: ceil(5 × 20%) = 1
    assert [s.is_top20 for s in scores] == [True, False, False, False, False, False]
    # 50 + 20 + 15 of 100 reach 80%: 3 of the 5 buyers, the figure the Pareto rule asks for
    assert run.stats["pareto"] == {
        "buyers": 5,
        "top_share_pct": 20,
        "buyers_for_80_pct": 3,
        "share_for_80_pct": 60.0,
    }
    assert "属于贡献金额最高的前 20% 客户" in score_explanation(scores[0])


def test_a_second_run_records_changes_of_class_and_lifecycle_events(route_a, place_orders, score_now):
    slipping, fading, returning, steady = (RetailerFactory(route=route_a) for _ in range(4))
    place_orders(slipping, [(weeks_ago(n), 5) for n in range(1, 20)])
    place_orders(fading, [(weeks_ago(n), 5) for n in range(6, 20)])
    place_orders(returning, [(weeks_ago(n), 5) for n in range(10, 20)])
    place_orders(steady, [(weeks_ago(n), 5) for n in range(0, 20)])

    first = score_now()
    assert (first.change_count, first.event_count) == (0, 0)  # nothing to compare with yet
    assert ScoreChange.objects.count() == ScoringEvent.objects.count() == 0
    assert [score_of(r).lifecycle for r in (slipping, fading, returning)] == ["active", "at_risk", "lost"]

    later = AS_OF + datetime.timedelta(weeks=3)
    place_orders(returning, [(later - datetime.timedelta(days=2), 5)])
    place_orders(steady, [(weeks_ago(n, 0) + datetime.timedelta(weeks=3), 5) for n in range(0, 3)])
    second = score_now(as_of=later)

    assert [score_of(r).lifecycle for r in (slipping, fading, returning, steady)] == [
        "at_risk",
        "lost",
        "reactivated",
        "active",
    ]
    events = set(ScoringEvent.objects.filter(run=second).values_list("retailer_id", "kind"))
    assert events == {
        (slipping.pk, "became_at_risk"),
        (fading.pk, "became_lost"),
        (returning.pk, "reactivated"),
    }
    lifecycle_changes = set(
        ScoreChange.objects.filter(run=second, field="lifecycle").values_list("retailer_id", "old", "new")
    )
    assert lifecycle_changes == {
        (slipping.pk, "active", "at_risk"),
        (fading.pk, "at_risk", "lost"),
        (returning.pk, "lost", "reactivated"),
    }
    assert ScoreChange.objects.filter(run=second, field="loyalty_class", retailer=fading).get().new == "lost"
    assert second.change_count == ScoreChange.objects.filter(run=second).count()
    assert second.event_count == 3

    # the same day again: nothing changed, nothing recorded
    third = score_now(as_of=later)
    assert (third.change_count, third.event_count) == (0, 0)


def test_closed_retailers_lose_their_current_score(route_a, place_orders, score_now):
    shop = RetailerFactory(route=route_a)
    place_orders(shop, [(weeks_ago(1), 5)])
    score_now()
    Retailer.objects.filter(pk=shop.pk).update(status=Retailer.Status.CLOSED)
    run = score_now()
    assert run.scored_count == 0
    assert not RetailerScore.objects.filter(retailer=shop).exists()


@pytest.mark.parametrize("window_months", [3])
def test_window_months_limits_the_measures(retailer_a, place_orders, score_now, window_months):
    place_orders(retailer_a, [(weeks_ago(1), 5), (weeks_ago(20), 7)])
    score_now(window_months=window_months)
    s = score_of(retailer_a)
    assert (s.frequency, s.cartons) == (1, 5)
    assert s.trend_pct == -29  # the trend keeps its own 26 weeks: 5 against 7
