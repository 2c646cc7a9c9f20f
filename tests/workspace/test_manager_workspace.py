"""The customer manager's workspace on hand-built routes: each section's rows and order, the other manager's shops
never shown, the full phone number never on the page, and a bounded number of queries."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import SensitiveAccess
from sales.allocation.models import AllocationAllowance, AllocationPlan
from tests.accounts.factories import RetailerFactory
from tests.workspace.conftest import _licence, _rated
from workspace.selectors import manager_workspace

pytestmark = pytest.mark.django_db


def test_each_section_lists_the_managers_own_items_in_order(routes, manager_a):
    shop = routes["shop"]
    ws = manager_workspace(manager=manager_a)
    assert (ws.done_today, ws.planned_today) == (1, 2)
    assert ws.next_visit is not None
    assert ws.next_visit.retailer.pk != shop["b"].pk
    assert shop["b"].pk not in [e.retailer.pk for e in ws.next_visits]
    assert [c["id"] for c in ws.complaints] == [routes["overdue"].pk, routes["on_time"].pk]
    assert [c["overdue"] for c in ws.complaints] == [1, 0]
    assert [(c["id"], c["rating"], c["complaint_id"]) for c in ws.callbacks] == [
        (shop["e"].pk, 1, routes["low"].pk)
    ]
    assert (
        ws.callbacks[0]["mobile"] == "137****0101"
    )  # masked: the full number only through the logged reveal
    assert [r["id"] for r in ws.expiring] == [shop["d"].pk, shop["c"].pk]  # soonest first
    # supply stopped in their own list: revoked (whatever the date), then expired, the latest first
    assert [r["id"] for r in ws.expired] == [shop["b"].pk, shop["e"].pk, shop["f"].pk]
    assert ws.licence_counts == {"expired": 3, "expiring": 2}
    assert [r["retailer_id"] for r in ws.at_risk] == [shop["c"].pk, shop["a"].pk]  # likeliest to leave first
    assert ws.at_risk[0]["churn_pct"] == 80
    assert ws.redemptions == []
    assert ws.tier_changes == []


def test_a_manager_never_sees_the_other_managers_items(routes, manager_b):
    other = routes["other"]["x"]
    ws = manager_workspace(manager=manager_b)
    ids = {r["id"] for r in ws.expired + ws.expiring + ws.callbacks}
    ids |= {r["retailer_id"] for r in ws.at_risk + ws.complaints}
    ids |= {e.retailer.pk for e in ws.next_visits}
    assert ids == {other.pk}
    assert (ws.done_today, ws.planned_today) == (0, 1)


def test_allocation_notices_count_the_managers_shops(routes, manager_a, products, dept_a, supervisor_a):
    today = timezone.localdate()
    plan = AllocationPlan.objects.create(
        product=products["HJY"],
        org_unit=dept_a.parent,
        cycle_start=today - datetime.timedelta(days=today.weekday()),
        cycle_end=today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(days=6),
        state=AllocationPlan.State.PUBLISHED,
        created_by=supervisor_a,
        published_by=supervisor_a,
        published_at=timezone.now(),
    )
    shop = routes["shop"]
    for r, cartons in ((shop["a"], 2), (shop["b"], 1), (shop["e"], 0), (routes["other"]["x"], 5)):
        AllocationAllowance.objects.create(
            plan=plan, retailer=r, market_type=r.market_type, reason="rule", cartons=cartons, tier=r.tier
        )
    ws = manager_workspace(manager=manager_a)
    assert [(a["plan_id"], a["product"], a["shops"], a["cartons"]) for a in ws.allocations] == [
        (plan.pk, "黄金叶（天叶）", 2, 3)
    ]


def test_the_workspace_reads_in_three_queries_whatever_the_route_size(
    routes, manager_a, route_a, django_assert_max_num_queries
):
    manager_a.has_perm("loyalty.change_redemption")  # the request's permission cache, filled by any page
    with django_assert_max_num_queries(3):
        manager_workspace(manager=manager_a)
    for i in range(30):
        r = RetailerFactory(route=route_a, shop_name=f"加店{i}")
        _licence(r, -i - 1)
        _rated(r, 1)
    with django_assert_max_num_queries(3):
        ws = manager_workspace(manager=manager_a)
    assert len(ws.expired) == 8
    assert ws.licence_counts["expired"] == 33


def test_the_page_costs_at_most_five_queries_beyond_the_login(
    routes, manager_a, client_for, django_assert_max_num_queries
):
    """Every page a logged-in user opens pays the same four reads (session, user, the user's and the groups'
    permissions in one query: users.models.User, the bell's unread count); the workspace adds its three, and
    nothing grows with the items."""
    client = client_for(manager_a)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as baseline:
        client.get(reverse("feedback:notification-list"))
    login_reads = [
        q["sql"]
        for q in baseline.captured_queries
        if "django_session" in q["sql"] or "auth_permission" in q["sql"]
    ]
    login_reads += [q["sql"] for q in baseline.captured_queries if '"users_user"' in q["sql"][:80]]
    assert len(login_reads) >= 2  # the user row and the permissions
    with CaptureQueriesContext(connection) as page:
        html = client.get(reverse("home")).content.decode()
    own = [
        q["sql"]
        for q in page.captured_queries
        if "django_session" not in q["sql"]
        and "auth_permission" not in q["sql"]
        and '"users_user"' not in q["sql"][:80]
        and "feedback_notification" not in q["sql"][:120]
    ]
    assert len(own) <= 5, own
    with django_assert_max_num_queries(9):  # 4 for the login and the bell, at most 5 for the workspace
        client.get(reverse("home"))
    shop = routes["shop"]
    assert 'id="ws-start-visit"' in html
    assert reverse("visits:visit-new", args=[routes["shop"]["a"].pk]) in html or "ws-next-visit" in html
    assert shop["e"].mobile not in html
    assert "137****0101" in html
    assert routes["other"]["x"].shop_name not in html
    assert SensitiveAccess.objects.count() == 0
