"""The daily list on a hand-built route: exact order, exact scores and reason texts, the other territory left out,
a bounded number of queries, and who may open whose list."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Retailer
from feedback.complaints.models import Complaint
from feedback.complaints.services.intake import complaint_open
from segmentation.ml.models import Recommendation
from tests.accounts.factories import RetailerFactory
from tests.segmentation.factories import ScoringRunFactory
from tests.visits.factories import CultivationProgrammeFactory, VisitPlanFactory, VisitPolicyFactory
from visits.daily.selectors import daily_list
from visits.models import CultivationProgramme, CultivationTarget

pytestmark = pytest.mark.django_db


def overdue_complaint(retailer):
    complaint = complaint_open(
        retailer=retailer, category_code="supply", description="断货三周无人回复", channel="phone"
    )
    now = timezone.now()
    Complaint.objects.filter(pk=complaint.pk).update(
        response_due=now - datetime.timedelta(hours=2), resolution_due=now - datetime.timedelta(hours=1)
    )
    return complaint


def set_licence(retailer, expires_on):
    Retailer.objects.filter(pk=retailer.pk).update(licence_expires_on=expires_on)


@pytest.fixture
def route_case(
    complaint_categories,
    retailer_a,
    retailer_b,
    route_a,
    manager_a,
    manager_b,
    dept_a,
    products,
    place_order,
    give_score,
    record,
):
    today = timezone.localdate()
    shops = {"r1": retailer_a}
    for name in ("r2", "r3", "r4", "r5", "r6", "r7", "r8"):
        shops[name] = RetailerFactory(route=route_a, shop_name=f"测试{name}店")
    # r1: high value at risk (35); visited 10 days ago
    give_score(shops["r1"], value_class="high", lifecycle="at_risk")
    record(manager_a, shops["r1"], days_ago=10)
    # r2: one overdue complaint (40); never visited (20) → 60
    overdue_complaint(shops["r2"])
    # r3: licence expires in 12 days (30); planned today (25); visited 3 days ago → 55
    set_licence(shops["r3"], today + datetime.timedelta(days=12))
    VisitPlanFactory(
        retailer=shops["r3"], planned_on=today, manager=manager_a, route=route_a, frequency="weekly"
    )
    record(manager_a, shops["r3"], days_ago=3)
    # r4: target of a running programme, has not bought its product (10); visited 40 days ago (20) → 30
    programme = CultivationProgrammeFactory(
        name="天叶培育",
        product=products["HJY"],
        org_unit=dept_a,
        starts_on=today - datetime.timedelta(days=14),
        ends_on=today + datetime.timedelta(days=14),
        goal_selling_retailers=5,
        goal_sell_through_pct=150,
        created_by=manager_a,
    )
    CultivationTarget.objects.create(programme=programme, retailer=shops["r4"], source="rule")
    record(manager_a, shops["r4"], days_ago=40)
    # r5: mid value, churn probability 70% (15); visited yesterday → 15
    give_score(shops["r5"], value_class="mid", churn_probability=0.7)
    record(manager_a, shops["r5"], days_ago=1)
    # r6: nothing to do, visited 2 days ago → 0, left out
    record(manager_a, shops["r6"], days_ago=2)
    # r7: a target that bought the product after the start (0); a high-value shop that is active (0) → left out
    CultivationTarget.objects.create(programme=programme, retailer=shops["r7"], source="rule")
    place_order(shops["r7"], {"HJY": 2}, today - datetime.timedelta(days=3))
    give_score(shops["r7"], value_class="high", lifecycle="active", churn_probability=0.2)
    record(manager_a, shops["r7"], days_ago=2)
    # r8: licence expired 3 days ago (30); visited 5 days ago → 30, after r4 (visited longer ago)
    set_licence(shops["r8"], today - datetime.timedelta(days=3))
    record(manager_a, shops["r8"], days_ago=5)
    # the other territory: an overdue complaint and never visited, but not manager_a's
    overdue_complaint(retailer_b)
    # r2's recommendations
    run = ScoringRunFactory()
    Recommendation.objects.create(
        run=run,
        retailer=shops["r2"],
        product=products["YX"],
        rank=1,
        kind="peer",
        peer_count=40,
        peer_buyers=22,
    )
    Recommendation.objects.create(
        run=run,
        retailer=shops["r2"],
        product=products["SX"],
        rank=2,
        kind="peer",
        peer_count=40,
        peer_buyers=18,
    )
    return shops, today


def test_ranking_scores_and_reasons_on_a_hand_built_route(
    route_case, manager_a, django_assert_max_num_queries
):
    shops, today = route_case
    with django_assert_max_num_queries(2):  # the policy, the ranking with the recommendations
        entries = daily_list(manager=manager_a, today=today)
    names = {r.pk: name for name, r in shops.items()}
    assert [(names[e.retailer.pk], e.score) for e in entries] == [
        ("r2", 60),
        ("r3", 55),
        ("r1", 35),
        ("r4", 30),
        ("r8", 30),
        ("r5", 15),
    ]
    reasons = {names[e.retailer.pk]: [r.text for r in e.reasons] for e in entries}
    expires = today + datetime.timedelta(days=12)
    expired = today - datetime.timedelta(days=3)
    assert reasons == {
        "r2": ["1 条投诉已超过处理时限", "从未走访"],
        "r3": [f"许可证 12 天后到期（{expires:%Y-%m-%d}）", "今日计划走访"],
        "r1": ["高价值客户有流失风险（流失风险）"],
        "r4": ["已 40 天未走访", "培育品规尚未进货：黄金叶（天叶）"],
        "r8": [f"许可证已过期 3 天（{expired:%Y-%m-%d}）"],
        "r5": ["中价值客户有流失风险（流失概率 70%）"],
    }
    # each entry's score is the sum of the points of its reasons
    assert all(e.score == sum(r.points for r in e.reasons) for e in entries)
    top = entries[0]
    assert [rec.product.name for rec in top.recommendations] == ["玉溪（软）", "红双喜（硬）"]
    assert entries[1].planned_today is True


def test_the_not_visited_threshold_is_configurable(route_case, manager_a):

    shops, today = route_case
    VisitPolicyFactory(not_visited_days=7)
    entries = {e.retailer.pk: e for e in daily_list(manager=manager_a, today=today)}
    # r1 (visited 10 days ago) now also scores "not visited": 35 + 20
    assert entries[shops["r1"].pk].score == 55
    assert [r.text for r in entries[shops["r1"].pk].reasons][-1] == "已 10 天未走访"


def test_page_shows_the_list_and_a_supervisor_picks_a_manager_in_their_territory(
    route_case, client_for, manager_a, manager_b, supervisor_a
):
    shops, _today = route_case
    page = client_for(manager_a).get("/visits/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("测试r2店") < html.index("测试r3店") < html.index("老城甲号便利店")
    assert "1 条投诉已超过处理时限" in html
    assert f"/visits/retailers/{shops['r2'].pk}/new/" in html
    assert "涧西乙号烟酒店" not in html

    supervisor = client_for(supervisor_a)
    assert "测试r2店" in supervisor.get(f"/visits/?manager={manager_a.pk}").content.decode()
    assert supervisor.get(f"/visits/?manager={manager_b.pk}").status_code == 404
    assert client_for(manager_a).get(f"/visits/?manager={manager_b.pk}").status_code == 404


def test_api_daily_list_gives_scores_and_reasons(
    route_case, api_client_for, manager_a, supervisor_a, manager_b
):
    _shops, _today = route_case
    body = api_client_for(manager_a).get("/api/v1/daily-list/").json()
    assert [row["shop_name"] for row in body][:2] == ["测试r2店", "测试r3店"]
    assert body[0]["reasons"] == [
        {"code": "complaints", "points": 40, "text": "1 条投诉已超过处理时限"},
        {"code": "not_visited", "points": 20, "text": "从未走访"},
    ]
    assert body[0]["recommendations"][0]["product_name"] == "玉溪（软）"
    assert api_client_for(supervisor_a).get("/api/v1/daily-list/").status_code == 400
    assert api_client_for(supervisor_a).get(f"/api/v1/daily-list/?manager={manager_b.pk}").status_code == 404


def test_overdue_complaints_count_by_feedbacks_rule_at_most_three(
    complaint_categories, route_a, manager_a, supervisor_a, record
):
    """The count is feedback's (overdue_q, minus about_own_conduct_q for this manager), compiled into the
    ranking statement with the moment and the manager as its parameters."""
    many, conduct, not_due = (RetailerFactory(route=route_a) for _ in range(3))
    for _ in range(4):
        overdue_complaint(many)
    own = complaint_open(
        retailer=conduct, category_code="cm_conduct", description="客户经理态度恶劣", channel="phone"
    )
    now = timezone.now()
    Complaint.objects.filter(pk=own.pk).update(
        response_due=now - datetime.timedelta(hours=2), resolution_due=now - datetime.timedelta(hours=1)
    )
    complaint_open(retailer=not_due, category_code="supply", description="断货", channel="phone")
    for shop in (conduct, not_due):
        record(manager_a, shop, days_ago=1)
    entries = {e.retailer.pk: e for e in daily_list(manager=manager_a)}
    assert set(entries) == {many.pk}
    assert [(r.code, r.points, r.text) for r in entries[many.pk].reasons] == [
        ("complaints", 120, "4 条投诉已超过处理时限"),
        ("not_visited", 20, "从未走访"),
    ]


def test_a_manager_without_shops_gets_an_empty_list(manager_b, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # the policy, the ranking (no recommendations to fetch)
        assert daily_list(manager=manager_b) == []
    manager_b.is_active = False  # a scope Django knows is empty (.none()) still compiles into the statement
    assert daily_list(manager=manager_b) == []


def test_recommendations_name_their_products_with_no_further_query(
    route_case, manager_a, products, django_assert_num_queries
):
    shops, today = route_case
    run = Recommendation.objects.get(retailer=shops["r2"], rank=1).run
    Recommendation.objects.create(
        run=run,
        retailer=shops["r3"],
        product=products["YX"],
        rank=1,
        kind="substitute",
        substitute_for=products["HJY"],
    )
    entries = {e.retailer.pk: e for e in daily_list(manager=manager_a, today=today)}
    with django_assert_num_queries(0):
        named = {
            pk: [
                (rec.rank, rec.kind, rec.product.name, rec.substitute_for and rec.substitute_for.name)
                for rec in e.recommendations
            ]
            for pk, e in entries.items()
            if e.recommendations
        }
    assert named == {
        shops["r2"].pk: [(1, "peer", "玉溪（软）", None), (2, "peer", "红双喜（硬）", None)],
        shops["r3"].pk: [(1, "substitute", "玉溪（软）", "黄金叶（天叶）")],
    }
    assert entries[shops["r3"].pk].recommendations[0].product_id == products["YX"].pk


def test_ties_and_the_limit_are_decided_in_the_ranking(route_case, route_a, manager_a):
    """Equal scores: never visited first, then the shop visited longest ago, then the lower id; `limit` cuts the
    ranked list. The licence warning comes from the policy (5 days: r3's licence, due in 12, no longer scores)."""

    shops, today = route_case
    VisitPolicyFactory(licence_warning_days=5)
    shops["r9"] = RetailerFactory(route=route_a)  # an overdue complaint, never visited: 60, as r2
    overdue_complaint(shops["r9"])
    shops["r10"] = RetailerFactory(route=route_a)  # an unsold cultivation target, never visited: 30
    CultivationTarget.objects.create(
        programme=CultivationProgramme.objects.get(name="天叶培育"), retailer=shops["r10"], source="hand"
    )
    names = {r.pk: name for name, r in shops.items()}
    ranked = [(names[e.retailer.pk], e.score) for e in daily_list(manager=manager_a, today=today)]
    assert ranked == [
        ("r2", 60),
        ("r9", 60),
        ("r1", 35),
        ("r10", 30),
        ("r4", 30),
        ("r8", 30),
        ("r3", 25),
        ("r5", 15),
    ]
    assert [names[e.retailer.pk] for e in daily_list(manager=manager_a, today=today, limit=3)] == [
        "r2",
        "r9",
        "r1",
    ]


def test_a_supervisors_daily_list_reads_the_team_once(route_case, client_for, manager_a, supervisor_a):
    """The team (managers with shops in the territory: a pass over the territory's shops) is read once per page,
    not once for the first manager and again for the chooser."""
    supervisor = client_for(supervisor_a)
    supervisor.get("/visits/")
    with CaptureQueriesContext(connection) as queries:
        page = supervisor.get("/visits/")
    assert page.status_code == 200
    assert f'value="{manager_a.pk}"' in page.content.decode() or manager_a.username in page.content.decode()
    team_reads = [q for q in queries.captured_queries if '"route__manager"' in q["sql"]]
    assert len(team_reads) == 1, [q["sql"][:200] for q in team_reads]
