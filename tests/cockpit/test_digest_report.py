"""The weekly digest through a real local SMTP server, and the monthly report's XLSX."""

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from cockpit.models import MonthlyReport, Notice, Period
from cockpit.notices import digest_lines, notice_title
from cockpit.services.digest import weekly_digests_send
from cockpit.services.reports import monthly_report_generate, monthly_report_xlsx
from cockpit.services.snapshots import kpi_snapshots_refresh
from cockpit.services.targets import target_save
from feedback.complaints.models import Complaint
from sales.models import RetailerPeriodSummary
from tests.feedback.factories import open_complaint

pytestmark = pytest.mark.django_db


def test_weekly_digest_reaches_the_supervisor_through_smtp(
    shops, supervisor_a, county_a, week, smtp_server, eager_tasks, django_capture_on_commit_callbacks
):
    supervisor_a.email = "zhao@example.cn"
    supervisor_a.save(update_fields=["email"])
    target_save(
        actor=supervisor_a,
        data={
            "org_unit": county_a,
            "kpi": "order_rate",
            "period": Period.WEEK,
            "value": Decimal(90),
            "starts_on": week,
        },
    )
    complaint = open_complaint(shops[0])
    Complaint.objects.filter(pk=complaint.pk).update(
        response_due=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )  # long overdue
    kpi_snapshots_refresh(period=Period.WEEK, start=week)
    kpi_snapshots_refresh(period=Period.WEEK, start=week - datetime.timedelta(days=7))
    today = week + datetime.timedelta(days=7)  # the Monday after

    with django_capture_on_commit_callbacks(execute=True):
        assert weekly_digests_send(today=today) == 1
    notice = Notice.objects.get(recipient=supervisor_a, kind=Notice.Kind.DIGEST)
    assert notice.params["red"] == 1
    assert notice.params["overdue"] == 1
    kinds = [item["kind"] for item in notice.params["items"]]
    assert kinds == ["kpi", "complaint"]  # red KPIs first, then the overdue case
    assert "1 项红灯" in notice_title(notice)
    lines = "\n".join(digest_lines(notice))
    assert "订货金额：¥6,500（上期 ¥1,000）" in lines
    assert f"投诉 #{complaint.pk}" in lines

    [message] = smtp_server.messages
    assert message["To"] == "zhao@example.cn"
    assert "每周简报" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "订货率 红灯" in body
    assert f"投诉 #{complaint.pk}" in body

    # a second run in the same week sends nothing
    with django_capture_on_commit_callbacks(execute=True):
        assert weekly_digests_send(today=today) == 0
    assert len(smtp_server.messages) == 1


def test_monthly_report_xlsx_holds_the_kpis_leagues_and_complaints(
    shops, county_a, dept_a, manager_a, supervisor_a
):
    r1, r2, *_ = shops
    month = datetime.date(2026, 10, 1)
    RetailerPeriodSummary.objects.bulk_create(
        [
            RetailerPeriodSummary(
                retailer=r1, period="month", period_start=month, order_count=4, cartons=40, amount_fen=800_000
            ),
            RetailerPeriodSummary(
                retailer=r2, period="month", period_start=month, order_count=2, cartons=10, amount_fen=100_000
            ),
            RetailerPeriodSummary(
                retailer=r1,
                period="month",
                period_start=datetime.date(2026, 9, 1),
                order_count=1,
                cartons=5,
                amount_fen=50_000,
            ),
        ]
    )
    complaint = open_complaint(r1, category_code="supply")
    Complaint.objects.filter(pk=complaint.pk).update(
        opened_at=datetime.datetime(2026, 10, 12, 2, tzinfo=datetime.UTC)
    )
    kpi_snapshots_refresh(period=Period.MONTH, start=datetime.date(2026, 9, 1))
    report = monthly_report_generate(org_unit=county_a, month=month, actor=supervisor_a)
    assert MonthlyReport.objects.filter(org_unit=county_a, month=month).count() == 1

    book = load_workbook(io.BytesIO(monthly_report_xlsx(report=report).read()))
    assert book.sheetnames == ["指标", "部门排名", "客户经理排名", "投诉分类", "满意度", "本月行动"]
    kpis = {row[1]: row for row in book["指标"].iter_rows(min_row=3, values_only=True)}
    assert kpis["订货金额"][2:4] == ("¥9,000", "¥500")
    assert kpis["订货条数"][2] == "50"
    assert kpis["单条值"][2] == "¥180.0"
    assert kpis["订货率"][2] == "66.7%"  # 2 of 3 active shops ordered
    departments = list(book["部门排名"].iter_rows(values_only=True))
    assert departments[1][:3] == (1, dept_a.name, "66.7%")
    managers = list(book["客户经理排名"].iter_rows(values_only=True))
    assert managers[1][1] == str(manager_a)
    complaints = list(book["投诉分类"].iter_rows(values_only=True))
    assert complaints[1][1] == 1

    # generating again replaces the month's report rather than adding one
    monthly_report_generate(org_unit=county_a, month=month)
    assert MonthlyReport.objects.filter(org_unit=county_a, month=month).count() == 1
