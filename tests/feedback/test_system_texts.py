"""What the system writes into a complaint's timeline reads in the reader's language, on the page and in the API,
whoever's language was active when it was written; lines written in Chinese before the codes are converted."""

from importlib import import_module

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from feedback.complaints.models import ComplaintEvent
from tests.feedback.factories import NotificationFactory, open_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(retailer_a, manager_a):
    """Opened while an English-speaking user's request was active: nothing of that language is stored."""
    with translation.override("en"):
        return open_complaint(retailer_a)


def timeline(response) -> str:
    html = response.content.decode()
    return html[html.index('id="complaint-timeline"') :]


def test_the_rule_assignment_reads_in_each_readers_language_on_the_page(
    case, manager_a, supervisor_a, client_for
):
    event = case.events.get(kind="assigned")
    assert event.text == ""
    assert event.message == {
        "code": "complaint.assigned_by_rule",
        "params": {"name": str(manager_a)},
    }
    url = reverse("feedback:complaint-detail", args=[case.pk])
    chinese = client_for(supervisor_a)
    page = timeline(chinese.get(url))
    assert f"按规则分派给 {manager_a}" in page
    assert "Assigned by rule" not in page

    english = client_for(supervisor_a)
    english.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):  # the middleware activates English in this thread
        page = timeline(english.get(url))
    assert f"Assigned by rule to {manager_a}" in page
    assert "按规则分派给" not in page
    assert ">Assigned<" in page  # the event's kind as what happened, not the button's "Assign"


def test_the_api_words_the_timeline_and_the_notification_in_the_callers_language(
    case, manager_a, api_client_for
):
    api = api_client_for(manager_a)
    url = f"/api/v1/complaints/{case.pk}/"
    chinese = {e["kind"]: e["text"] for e in api.get(url).json()["events"]}
    with translation.override(translation.get_language()):
        english = {e["kind"]: e["text"] for e in api.get(url, HTTP_ACCEPT_LANGUAGE="en").json()["events"]}
        notices = api.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert chinese["assigned"] == f"按规则分派给 {manager_a}"
    assert english["assigned"] == f"Assigned by rule to {manager_a}"
    assert (chinese["opened"], english["opened"]) == ("电话", "Phone")
    assert [n["text"] for n in notices] == [
        f"New 货源供应与分配 case to handle: {case.retailer.shop_name} (#{case.pk})"
    ]


def test_a_persons_note_stays_as_written_in_every_language(case, supervisor_a):
    from feedback.complaints.services.workflow import complaint_note_add

    note = complaint_note_add(complaint=case, actor=supervisor_a, text="已电话联系，明天补货")
    assert note.message is None
    with translation.override("en"):
        assert note.text_display == "已电话联系，明天补货"


def test_the_migration_converts_the_chinese_lines_written_before_the_codes(case, manager_a):
    """Rows as the code before wrote them (Chinese words, no message) get their codes; a person's words and a line
    in no known shape stay as written."""
    legacy = [
        ComplaintEvent.objects.create(complaint=case, kind=kind, at=case.opened_at, text=text)
        for kind, text in [
            ("assigned", "按规则分派给 李艳"),
            ("opened", "12313 热线"),
            (
                "escalated",
                f"投诉 #{case.pk}（杨记便利店（道北路店），货源供应与分配）办结超时，截止 2026-07-20 16:15，已升级至 赵主管",
            ),
            ("rated", "2 分：送货太慢，还少了一条"),
            ("note", "主管回访：已致歉"),
            ("note", "已电话联系"),
            ("assigned", "Assigned by rule to 李艳"),
        ]
    ]
    notice = NotificationFactory(recipient=manager_a, kind="reopened", text="投诉 #7 已重新打开：仍未到货")
    migration = import_module("feedback.migrations.0015_system_messages")
    migration.forwards(None, type("Editor", (), {"connection": connection})())
    for row in [*legacy, notice]:
        row.refresh_from_db()
    with translation.override("en"):
        shown = [row.text_display for row in legacy] + [notice.text_display]
    assert shown == [
        "Assigned by rule to 李艳",
        "12313 hotline",
        f"Complaint #{case.pk} (杨记便利店（道北路店）, 货源供应与分配): Resolution overdue, due 2026-07-20 16:15; "
        "escalated to 赵主管",
        "2 out of 5: 送货太慢，还少了一条",
        "Supervisor's call: 已致歉",
        "已电话联系",
        "Assigned by rule to 李艳",
        "Complaint #7 reopened: 仍未到货",
    ]
    assert legacy[5].message is None
    assert legacy[6].message is None
    with translation.override("zh-hans"):
        assert legacy[2].text_display.endswith("办结超时，截止 2026-07-20 16:15，已升级至 赵主管")
