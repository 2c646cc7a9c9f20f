"""The data-quality page: each counter opens the list behind it (the same definition counts and filters), the
duplicate scan finds near-duplicates across the departments of one county, and a supervisor can run it now."""

from decimal import Decimal

import pytest

from accounts.dedupe.models import DuplicatePair, DuplicateScan
from accounts.dedupe.services import duplicates_scan, duplicates_scan_request, duplicates_scan_run
from accounts.selectors import retailer_quality_issues
from tests.accounts.factories import RetailerFactory
from tests.users.factories import DepartmentFactory, RouteFactory


def test_every_counter_links_to_a_list_with_the_same_count(client_for, supervisor_a, route_a):
    RetailerFactory(route=route_a, latitude=None, longitude=None)
    RetailerFactory(route=route_a, latitude=Decimal("34.6"), longitude=Decimal("112.4"), tier=None)
    RetailerFactory(
        route=RouteFactory(org_unit=route_a.org_unit, manager=None),
        latitude=Decimal("34.6"),
        longitude=Decimal("112.4"),
    )
    client = client_for(supervisor_a)
    page = client.get("/retailers/quality/")
    assert page.status_code == 200
    html = page.content.decode()
    counts = page.context["counts"]
    for key in retailer_quality_issues():
        assert f'href="/retailers/?issue={key}" data-issue="{key}"' in html
        listed = client.get(f"/retailers/?issue={key}")
        assert listed.status_code == 200
        api = client.get(f"/api/v1/retailers/?issue={key}").json()
        assert len(api["results"]) == counts[key], key
    assert (counts["no_location"], counts["no_tier"], counts["no_manager"]) == (1, 1, 1)


def test_near_duplicates_are_found_across_departments_of_one_county(route_a, dept_a, route_b):
    other_department = DepartmentFactory(name="老城营销二部", parent=dept_a.parent)
    other_route = RouteFactory(org_unit=other_department)
    a = RetailerFactory(route=route_a, shop_name="惠民便利店", address="河南省洛阳市老城区中州东路12号")
    b = RetailerFactory(
        route=other_route, shop_name="惠民便利店（西关店）", address="河南省洛阳市老城区中州东路12号附1号"
    )
    RetailerFactory(
        route=route_b, shop_name="惠民便利店", address="河南省洛阳市老城区中州东路12号"
    )  # other county
    duplicates_scan()
    pairs = set(DuplicatePair.objects.filter(reason="fuzzy").values_list("first_id", "second_id"))
    assert pairs == {(min(a.pk, b.pk), max(a.pk, b.pk))}


def test_a_supervisor_runs_the_scan_now_and_sees_its_progress(
    client_for, supervisor_a, route_a, django_capture_on_commit_callbacks
):
    RetailerFactory(route=route_a, mobile="13912345678")
    RetailerFactory(route=route_a, mobile="13912345678")
    client = client_for(supervisor_a)
    assert 'id="duplicate-scan-button"' in client.get("/retailers/quality/").content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/retailers/duplicates/scan/", HTTP_HX_REQUEST="true")
    scan = DuplicateScan.objects.get()
    assert scan.status == DuplicateScan.Status.QUEUED
    assert 'hx-trigger="every 1s"' in response.content.decode()
    # a second click joins the waiting scan
    assert duplicates_scan_request(user=supervisor_a) == scan
    assert (
        len(callbacks) == 1
    )  # the task is queued once the request commits; here the worker's part runs inline
    scan = duplicates_scan_run(scan_id=scan.pk)
    assert (scan.status, scan.pairs_added) == (DuplicateScan.Status.DONE, 1)
    state = client.get("/retailers/duplicates/scan/").content.decode()
    assert "every 1s" not in state
    assert "新发现 1 对" in state


def test_a_manager_cannot_run_the_scan(client_for, manager_a):
    response = client_for(manager_a).post("/retailers/duplicates/scan/")
    assert response.status_code == 302
    assert not DuplicateScan.objects.exists()
    assert client_for(manager_a).get("/retailers/duplicates/scan/").status_code == 403


@pytest.mark.parametrize("key", list(retailer_quality_issues()))
def test_closed_records_are_not_counted_in_any_issue(key, route_a):
    from accounts.models import Retailer
    from accounts.selectors import retailer_quality_filter

    shop = RetailerFactory(route=route_a, latitude=None, longitude=None, tier=None)
    Retailer.objects.filter(pk=shop.pk).update(status="closed")
    assert not retailer_quality_filter(Retailer.objects.all(), issue=key).exists()
