"""The pages: a supervisor's home is the cockpit of their county only; drill-downs, targets, reports."""

import datetime

import pytest

from cockpit.models import KpiTarget, MonthlyReport, Period
from cockpit.services.snapshots import kpi_snapshots_refresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshots(shops, week):
    kpi_snapshots_refresh(period=Period.WEEK, start=week, with_state=True)


def test_the_supervisors_home_is_the_cockpit_of_their_county(
    client_for, supervisor_a, county_a, county_b, dept_a, dept_b, manager_b, snapshots
):
    page = client_for(supervisor_a).get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-kpi="order_rate"' in html
    assert "66.7%" in html
    assert dept_a.name in html
    assert dept_b.name not in html  # the other county's department is not in the league table
    assert str(manager_b) not in html


def test_a_county_supervisor_cannot_open_another_county(client_for, supervisor_a, county_b, snapshots):
    assert client_for(supervisor_a).get(f"/cockpit/?unit={county_b.pk}").status_code == 404


def test_an_admin_opens_any_unit_and_a_manager_none(
    client_for, company_admin, manager_a, county_b, snapshots
):
    assert client_for(company_admin).get(f"/cockpit/?unit={county_b.pk}").status_code == 200
    assert client_for(manager_a).get("/cockpit/").status_code == 403


def test_drill_down_lists_the_shops_behind_the_order_rate(
    client_for, supervisor_a, county_a, county_b, shops, week
):
    end = week + datetime.timedelta(days=6)
    url = f"/cockpit/retailers/?show=not_ordered&start={week}&end={end}&org_unit={county_a.pk}"
    html = client_for(supervisor_a).get(url).content.decode()
    assert "甲三副食店" in html  # did not order
    assert "甲一便利店" not in html  # ordered
    # another county's list is not reachable
    other = f"/cockpit/retailers/?show=not_ordered&start={week}&end={end}&org_unit={county_b.pk}"
    assert client_for(supervisor_a).get(other).status_code == 404


def test_the_retailer_list_filters_missing_data(client_for, supervisor_a, county_a, shops):
    html = (
        client_for(supervisor_a)
        .get(f"/retailers/?status=active&issue=no_manager&org_unit={county_a.pk}")
        .content.decode()
    )
    assert "甲三副食店" in html
    assert "甲一便利店" not in html


def test_the_complaint_list_filters_by_unit(client_for, company_admin, county_a, county_b, shops):
    from tests.feedback.factories import open_complaint

    open_complaint(shops[0], description="甲县的投诉")
    open_complaint(shops[3], description="乙县的投诉")
    html = client_for(company_admin).get(f"/service/complaints/?unit={county_b.pk}").content.decode()
    assert "乙一超市" in html
    assert "甲一便利店" not in html


def test_a_supervisor_sets_a_target_on_the_page(client_for, supervisor_a, county_a, county_b, week):
    client = client_for(supervisor_a)
    data = {
        "org_unit": county_a.pk,
        "kpi": "order_rate",
        "period": "week",
        "value": "85",
        "amber_margin_pct": "5",
        "starts_on": week.isoformat(),
    }
    assert client.post("/cockpit/targets/", data).status_code == 302
    assert KpiTarget.objects.get().org_unit == county_a
    # another county is not among the choices: the form refuses it and nothing is written
    page = client.post("/cockpit/targets/", {**data, "org_unit": county_b.pk})
    assert page.status_code == 200
    assert KpiTarget.objects.count() == 1


def test_a_report_is_generated_on_demand_and_downloaded(client_for, supervisor_a, county_a, shops):
    client = client_for(supervisor_a)
    answer = client.post("/cockpit/reports/", {"org_unit": county_a.pk, "month": "2026-10"})
    report = MonthlyReport.objects.get()
    assert answer["Location"] == f"/cockpit/reports/{report.pk}/"
    assert "客户经营分析月报" in client.get(answer["Location"]).content.decode()
    xlsx = client.get(f"/cockpit/reports/{report.pk}/xlsx/")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
