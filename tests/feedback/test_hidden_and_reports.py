"""Hidden complaints on a hand-built case (weekly summaries, a low rating, filing and calling clear the flag) and
the complaint report's arithmetic on hand-built cases (volumes, attainment, median and p90), with the export."""

import datetime

import pytest
from django.urls import reverse

from feedback.complaints.hidden.selectors import hidden_complaints
from feedback.complaints.hidden.services import hidden_complaint_call_record
from feedback.complaints.models import ComplaintExport
from feedback.complaints.reports.selectors import ReportFilters, complaint_report
from feedback.complaints.services.follow_up import complaint_rate
from feedback.complaints.services.workflow import complaint_resolve, complaint_start
from sales.models import RetailerPeriodSummary
from tests.accounts.factories import RetailerFactory
from tests.feedback.conftest import local
from tests.feedback.factories import open_complaint

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 25)  # a Wednesday: the current week starts Mon Nov 23
RECENT = [datetime.date(2026, 11, 16) - datetime.timedelta(weeks=i) for i in range(4)]  # Oct 26 … Nov 16
BASE = [datetime.date(2026, 10, 19) - datetime.timedelta(weeks=i) for i in range(13)]  # Jul 27 … Oct 19


def _weeks(retailer, base_cartons, recent_cartons):
    RetailerPeriodSummary.objects.bulk_create(
        [
            RetailerPeriodSummary(
                retailer=retailer, period="week", period_start=week, cartons=cartons, order_count=1
            )
            for weeks, cartons in ((BASE, base_cartons), (RECENT, recent_cartons))
            for week in weeks
        ]
    )


def test_hidden_complaints_flag_falling_orders_and_low_ratings_until_filed_or_called(
    retailer_a, retailer_b, route_a, manager_a, clock
):
    fell = retailer_a
    _weeks(fell, 20, 8)  # weekly 20 → 8: 40 %, below half
    at_half = RetailerFactory(route=route_a, shop_name="恰好一半店")
    _weeks(at_half, 20, 10)  # weekly 20 → 10: exactly half is not "below half"
    filed = RetailerFactory(route=route_a, shop_name="已投诉店")
    _weeks(filed, 30, 0)
    _weeks(retailer_b, 20, 0)  # another territory
    unhappy = RetailerFactory(route=route_a, shop_name="低分店")

    clock.set(local(2026, 10, 20, 9, 0))
    rated = open_complaint(unhappy, "delivery")
    complaint_start(complaint=rated, actor=manager_a)
    complaint_resolve(complaint=rated, actor=manager_a, resolution="已补送")
    clock.set(local(2026, 10, 22, 10, 0))
    complaint_rate(complaint=rated, rating=2, comment="太慢")
    clock.set(local(2026, 11, 2, 10, 0))
    open_complaint(filed, "supply")  # filed after the fall began (Oct 26): not hidden

    clock.set(local(2026, 11, 25, 10, 0))
    rows = hidden_complaints(user=manager_a, today=TODAY)
    assert {row.retailer.shop_name: [r.code for r in row.reasons] for row in rows} == {
        fell.shop_name: ["orders-fell"],
        "低分店": ["low-rating"],
    }
    reason = next(row for row in rows if row.retailer == fell).reasons[0].reason
    assert reason == "订货量骤降：近 4 周共 32 条（周均 8.0），此前 13 周周均 20.0 条，降至 40%"
    assert (
        next(row for row in rows if row.retailer == unhappy).reasons[0].reason
        == "投诉回访评分低：2026-10-22 评 2 分"
    )
    assert [r.retailer.pk for r in hidden_complaints(user=manager_a, today=TODAY, codes=["low-rating"])] == [
        unhappy.pk
    ]

    hidden_complaint_call_record(
        retailer=unhappy, user=manager_a, outcome="no_issue", reason="低分", note="已道歉"
    )
    assert [row.retailer for row in hidden_complaints(user=manager_a, today=TODAY)] == [fell]


def test_hidden_complaints_page_api_and_call(retailer_a, manager_a, client_for, api_client_for, on_weekday):
    _weeks(retailer_a, 20, 0)
    client = client_for(manager_a)
    page = client.get(reverse("feedback:hidden-complaints")).content.decode()
    assert retailer_a.shop_name in page
    assert "订货量骤降" in page
    api = api_client_for(manager_a)
    assert [row["retailer"] for row in api.get("/api/v1/hidden-complaints/").json()] == [retailer_a.pk]
    made = api.post(
        f"/api/v1/hidden-complaints/{retailer_a.pk}/called/",
        {"outcome": "unreachable", "reason": "订货量骤降"},
        format="json",
    )
    assert made.status_code == 201
    assert api.get("/api/v1/hidden-complaints/").json() == []
    bad = api.post(f"/api/v1/hidden-complaints/{retailer_a.pk}/called/", {"outcome": "x"}, format="json")
    assert bad.status_code == 400


def test_calling_another_territorys_retailer_is_404(
    retailer_b, manager_a, api_client_for, client_for, on_weekday
):
    api = api_client_for(manager_a)
    body = {"outcome": "no_issue", "reason": "x"}
    assert (
        api.post(f"/api/v1/hidden-complaints/{retailer_b.pk}/called/", body, format="json").status_code == 404
    )
    page = client_for(manager_a).post(reverse("feedback:hidden-complaint-call", args=[retailer_b.pk]), body)
    assert page.status_code == 404


@pytest.fixture
def report_cases(retailer_a, retailer_b, manager_a, manager_b, clock):
    """Four cases (hand-timed; deadlines from the working calendar):
    1 Oct 12 09:00 supply   (A): responded 10:00 (due 14:30, met); resolved Thu Oct 15 09:00 (due Wed 09:00, late): 72 h
    2 Oct 12 09:00 quality  (A): responded Oct 13 09:00 (late); resolved Fri Oct 16 09:00 (due Wed 17:30, late): 96 h
    3 Nov 2 09:00 supply    (B): responded 09:30 (met); resolved 11:00 (met): 2 h
    4 Nov 23 09:00 delivery (A): untouched; at Nov 25 12:00 both deadlines have passed (not met)."""

    def case(retailer, manager, code, opened, started, resolved):
        clock.set(opened)
        complaint = open_complaint(retailer, code)
        if started:
            clock.set(started)
            complaint_start(complaint=complaint, actor=manager)
        if resolved:
            clock.set(resolved)
            complaint_resolve(complaint=complaint, actor=manager, resolution="已处理")
        return complaint

    cases = [
        case(
            retailer_a,
            manager_a,
            "supply",
            local(2026, 10, 12, 9),
            local(2026, 10, 12, 10),
            local(2026, 10, 15, 9),
        ),
        case(
            retailer_a,
            manager_a,
            "quality",
            local(2026, 10, 12, 9),
            local(2026, 10, 13, 9),
            local(2026, 10, 16, 9),
        ),
        case(
            retailer_b,
            manager_b,
            "supply",
            local(2026, 11, 2, 9),
            local(2026, 11, 2, 9, 30),
            local(2026, 11, 2, 11),
        ),
        case(retailer_a, manager_a, "delivery", local(2026, 11, 23, 9), None, None),
    ]
    clock.set(local(2026, 11, 25, 12, 0))
    return cases


PERIOD = ReportFilters(date_from=datetime.date(2026, 10, 1), date_to=datetime.date(2026, 11, 30))


def test_report_arithmetic_on_a_hand_built_case(report_cases, company_admin):
    report = complaint_report(user=company_admin, filters=PERIOD)
    assert report["months"] == ["2026-10", "2026-11"]
    assert report["by_category"] == {"产品质量": [1, 0], "货源供应与分配": [1, 1], "配送服务": [0, 1]}
    assert report["by_unit"] == {"涧西营销一部": [0, 1], "老城营销一部": [2, 1]}
    a = report["attainment"]
    assert (a["total"], a["response_met"], a["response_counted"], a["response_pct"]) == (4, 2, 4, 50.0)
    assert (a["resolution_met"], a["resolution_counted"], a["resolution_pct"]) == (1, 4, 25.0)
    # resolve times 2, 72, 96 h: median 72; p90 = 72 + 0.8 × (96 − 72) = 91.2
    assert (report["median_hours"], report["p90_hours"]) == (72.0, 91.2)


def test_report_is_scoped_and_filtered_by_unit_and_period(report_cases, manager_a, company_admin, dept_b):
    assert complaint_report(user=manager_a, filters=PERIOD)["attainment"]["total"] == 3
    only_b = ReportFilters(date_from=PERIOD.date_from, date_to=PERIOD.date_to, unit=dept_b)
    assert complaint_report(user=company_admin, filters=only_b)["attainment"]["total"] == 1
    october = ReportFilters(date_from=datetime.date(2026, 10, 1), date_to=datetime.date(2026, 10, 31))
    assert complaint_report(user=company_admin, filters=october)["by_category"] == {
        "产品质量": [1],
        "货源供应与分配": [1],
    }


def test_report_page_api_and_audited_export(
    report_cases, supervisor_a, manager_a, client_for, api_client_for
):
    client = client_for(supervisor_a)
    page = client.get(reverse("feedback:complaint-report"), {"from": "2026-10-01", "to": "2026-11-30"})
    assert page.status_code == 200
    assert 'id="chart-category"' in page.content.decode()
    api = api_client_for(supervisor_a).get(
        "/api/v1/complaint-report/", {"from": "2026-10-01", "to": "2026-11-30"}
    )
    assert api.json()["attainment"]["total"] == 3  # supervisor_a's county: retailer_a's cases
    export = client.get(reverse("feedback:complaint-export"), {"from": "2026-10-01", "to": "2026-11-30"})
    lines = b"".join(export.streaming_content).decode("utf-8").splitlines()
    assert lines[0].startswith("\ufeff编号,受理时间")
    assert len(lines) == 1 + 3
    log = ComplaintExport.objects.get()
    assert (log.user, log.row_count, log.filters["from"]) == (supervisor_a, 3, "2026-10-01")
    assert client_for(manager_a).get(reverse("feedback:complaint-export")).status_code == 403
    bad = client.get(reverse("feedback:complaint-export"), {"from": "2026-13-01"})
    assert bad.status_code == 400
    assert ComplaintExport.objects.count() == 1


def test_report_refuses_bad_periods_clearly(company_admin, client_for, api_client_for, on_weekday):
    api = api_client_for(company_admin)
    assert api.get("/api/v1/complaint-report/", {"from": "9999-12-31", "to": "9999-12-31"}).status_code == 400
    assert api.get("/api/v1/complaint-report/", {"from": "2026-11-30", "to": "2026-10-01"}).status_code == 400
    assert api.get("/api/v1/complaint-report/", {"unit": "abc"}).status_code == 400
    page = client_for(company_admin).get(reverse("feedback:complaint-report"), {"to": "9999-12-31"})
    assert page.status_code == 200
    assert "日期超出范围" in page.content.decode()
