"""Staff pages and the API: scoping (another territory's case answers 404 on page and API), the list's filters
and keyset pages, actions by state with refusals shown (409 in the API), notifications, the portrait panel,
permissions by role."""

import pytest
from django.urls import reverse

from feedback.complaints.models import Complaint
from feedback.complaints.notifications.models import Notification
from feedback.complaints.services.workflow import complaint_start
from tests.feedback.conftest import local
from tests.feedback.factories import open_complaint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_weekday")]


@pytest.fixture
def cases(retailer_a, retailer_b):
    return open_complaint(retailer_a, "supply"), open_complaint(retailer_b, "delivery")


def test_another_territorys_case_is_404_on_page_panel_and_api(
    cases, manager_a, client_for, api_client_for, retailer_b
):
    _mine, theirs = cases
    client = client_for(manager_a)
    assert client.get(reverse("feedback:complaint-detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("feedback:complaint-action", args=[theirs.pk, "start"])).status_code == 404
    assert client.get(reverse("feedback:retailer-complaints", args=[retailer_b.pk])).status_code == 404
    api = api_client_for(manager_a)
    assert api.get(f"/api/v1/complaints/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/complaints/{theirs.pk}/start/", {}, format="json").status_code == 404
    body = {"retailer": retailer_b.pk, "category": "supply", "channel": "phone", "description": "代登记"}
    assert api.post("/api/v1/complaints/", body, format="json").status_code == 404
    assert Complaint.objects.count() == 2


def test_the_list_shows_only_the_users_cases_with_filters(
    cases, manager_a, supervisor_a, company_admin, client_for
):
    mine, theirs = cases
    page = client_for(manager_a).get(reverse("feedback:complaint-list")).content.decode()
    assert f"#{mine.pk} " in page
    assert f"#{theirs.pk} " not in page
    filtered = client_for(company_admin).get(reverse("feedback:complaint-list"), {"category": "delivery"})
    assert f"#{theirs.pk} " in filtered.content.decode()
    assert f"#{mine.pk} " not in filtered.content.decode()
    assert f"#{mine.pk} " in client_for(supervisor_a).get(reverse("feedback:complaint-list")).content.decode()


def test_the_list_pages_by_keyset_without_repeats(retailer_a, manager_a, clock, api_client_for):
    opened = []
    for minute in range(5):
        clock.set(local(2026, 11, 23, 9, minute))
        opened.append(open_complaint(retailer_a).pk)
    api = api_client_for(manager_a)
    first = api.get("/api/v1/complaints/", {"page_size": 2}).json()
    assert [row["id"] for row in first["results"]] == opened[::-1][:2]
    second = api.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == opened[::-1][2:4]
    from feedback.complaints.selectors import complaint_list, keyset_page

    rows, cursor = keyset_page(complaint_list(user=manager_a), cursor=None, size=3)
    rest, last_cursor = keyset_page(complaint_list(user=manager_a), cursor=cursor, size=3)
    assert [c.pk for c in rows + rest] == opened[::-1]
    assert last_cursor is None


def test_actions_by_state_on_the_page_and_a_refused_one_is_a_message(cases, manager_a, client_for):
    mine, _theirs = cases
    client = client_for(manager_a)
    page = client.get(reverse("feedback:complaint-detail", args=[mine.pk])).content.decode()
    assert "开始处理" in page
    assert "标记为已解决" not in page
    response = client.post(
        reverse("feedback:complaint-action", args=[mine.pk, "resolve"]),
        {"resolution": "已处理", "version": mine.version},
        follow=True,
    )
    assert "不能标记为已解决" in response.content.decode()
    client.post(reverse("feedback:complaint-action", args=[mine.pk, "start"]), {"version": mine.version})
    mine.refresh_from_db()
    assert mine.status == "in_progress"
    stale = client.post(
        reverse("feedback:complaint-action", args=[mine.pk, "resolve"]),
        {"resolution": "已处理", "version": mine.version - 1},
        follow=True,
    )
    assert "已被他人更新" in stale.content.decode()
    mine.refresh_from_db()
    assert mine.status == "in_progress"


def test_api_transitions_answer_409_when_refused(cases, manager_a, api_client_for):
    mine, _theirs = cases
    api = api_client_for(manager_a)
    refused = api.post(f"/api/v1/complaints/{mine.pk}/close/", {}, format="json")
    assert refused.status_code == 409
    assert "不能关闭" in refused.json()["detail"]
    started = api.post(f"/api/v1/complaints/{mine.pk}/start/", {"version": mine.version}, format="json")
    assert started.status_code == 200
    assert started.json()["status"] == "in_progress"
    stale = api.post(
        f"/api/v1/complaints/{mine.pk}/resolve/", {"resolution": "x", "version": 1}, format="json"
    )
    assert stale.status_code == 409
    bad = api.post(f"/api/v1/complaints/{mine.pk}/resolve/", {"resolution": ""}, format="json")
    assert bad.status_code == 400
    done = api.post(f"/api/v1/complaints/{mine.pk}/resolve/", {"resolution": "已补货"}, format="json")
    assert done.json()["status"] == "resolved"
    note = api.post(f"/api/v1/complaints/{mine.pk}/notes/", {"text": "已回电"}, format="json")
    assert note.status_code == 201
    detail = api.get(f"/api/v1/complaints/{mine.pk}/").json()
    assert [e["kind"] for e in detail["events"]][-3:] == ["resolved", "follow_up", "note"]


def test_api_create_validates_and_routes(retailer_a, manager_a, api_client_for):
    api = api_client_for(manager_a)
    bad = api.post(
        "/api/v1/complaints/",
        {"retailer": retailer_a.pk, "category": "nope", "channel": "phone", "description": "货不对"},
        format="json",
    )
    assert bad.status_code == 400
    assert "category" in bad.json()
    made = api.post(
        "/api/v1/complaints/",
        {"retailer": retailer_a.pk, "category": "quality", "channel": "12313", "description": "烟丝受潮"},
        format="json",
    )
    assert made.status_code == 201
    assert (made.json()["assignee"]["id"], made.json()["priority"], made.json()["channel"]) == (
        manager_a.pk,
        "high",
        "12313",
    )


def test_staff_intake_form_files_for_a_visible_retailer(retailer_a, manager_a, client_for):
    client = client_for(manager_a)
    url = reverse("feedback:complaint-create")
    assert client.get(url, {"retailer": retailer_a.pk}).status_code == 200
    response = client.post(
        url,
        {
            "retailer_id": retailer_a.pk,
            "channel": "visit",
            "kind": "suggestion",
            "category": "other",
            "priority": "",
            "description": "建议增加周末配送",
        },
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert (complaint.channel, complaint.kind, complaint.opened_by) == ("visit", "suggestion", manager_a)
    again = client.post(
        url,
        {
            "retailer_id": retailer_a.pk,
            "channel": "visit",
            "kind": "suggestion",
            "category": "other",
            "description": "建议增加周末配送",
        },
    )
    assert again["Location"] == reverse("feedback:complaint-detail", args=[complaint.pk])
    assert Complaint.objects.count() == 1


def test_portrait_panel_lists_open_cases_with_the_new_button(cases, manager_a, client_for, retailer_a):
    mine, _ = cases
    panel = client_for(manager_a).get(reverse("feedback:retailer-complaints", args=[retailer_a.pk]))
    html = panel.content.decode()
    assert f"#{mine.pk} " in html
    assert "登记投诉" in html


def test_notifications_page_badge_and_mark_read(cases, manager_a, client_for, api_client_for):
    client = client_for(manager_a)
    home = client.get(reverse("feedback:complaint-list")).content.decode()
    assert 'id="notification-bell"' in home
    assert Notification.objects.filter(recipient=manager_a, read_at__isnull=True).count() == 1
    page = client.get(reverse("feedback:notification-list")).content.decode()
    assert "新的货源供应与分配待处理" in page
    api = api_client_for(manager_a)
    assert len(api.get("/api/v1/notifications/", {"unread": "true"}).json()["results"]) == 1
    assert api.post("/api/v1/notifications/mark-read/", {}, format="json").json() == {"marked": 1}
    assert Notification.objects.filter(recipient=manager_a, read_at__isnull=True).count() == 0


def test_the_bell_counts_unread_up_to_99_plus_without_a_count_query(
    manager_a, client_for, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Notification.objects.bulk_create(
        Notification(recipient=manager_a, kind=Notification.Kind.ASSIGNED, text=f"第{i}条") for i in range(3)
    )
    client = client_for(manager_a)
    assert 'text-bg-danger">3</span>' in client.get(reverse("feedback:notification-list")).content.decode()
    Notification.objects.bulk_create(
        Notification(recipient=manager_a, kind=Notification.Kind.ASSIGNED, text=f"第{i}条")
        for i in range(120)
    )
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("feedback:complaint-list")).content.decode()
    assert 'text-bg-danger">99+</span>' in html
    assert not [
        q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"] and "notification" in q["sql"]
    ]


def test_a_case_assigned_to_someone_outside_the_territory_is_visible_to_them(
    retailer_b, manager_a, client_for, county_b
):
    from feedback.complaints.models import ComplaintCategory

    complaint = open_complaint(retailer_b, "supply")
    Complaint.objects.filter(pk=complaint.pk).update(assignee=manager_a)
    assert (
        client_for(manager_a).get(reverse("feedback:complaint-detail", args=[complaint.pk])).status_code
        == 200
    )
    assert ComplaintCategory.objects.filter(code="supply").exists()


def test_a_user_without_the_permission_is_refused(cases, integration_user, client_for):
    mine, _ = cases
    client = client_for(integration_user)
    assert client.post(reverse("feedback:complaint-action", args=[mine.pk, "start"])).status_code == 403


def test_categories_api_lists_the_seeded_categories(manager_a, api_client_for):
    codes = [c["code"] for c in api_client_for(manager_a).get("/api/v1/complaint-categories/").json()]
    assert codes == [
        "supply",
        "quality",
        "delivery",
        "cm_conduct",
        "settlement",
        "licence",
        "illegal_trading",
        "tier_appeal",
        "other",
    ]


def test_admin_lists_complaints_scoped(cases, company_admin, client_for):
    company_admin.is_staff = True
    company_admin.save(update_fields=["is_staff"])
    page = client_for(company_admin).get("/admin/feedback/complaint/")
    assert page.status_code == 200
    assert client_for(company_admin).get("/admin/feedback/complaintcategory/").status_code == 200


def test_start_by_service_marks_response(cases, manager_a):
    mine, _ = cases
    complaint_start(complaint=mine, actor=manager_a)
    mine.refresh_from_db()
    assert mine.responded_at == local(2026, 11, 23, 9, 0)


def _low_rated(retailer, manager):
    from feedback.complaints.services.follow_up import complaint_rate
    from feedback.complaints.services.workflow import complaint_resolve

    complaint = open_complaint(retailer)
    complaint_start(complaint=complaint, actor=manager)
    complaint_resolve(complaint=complaint, actor=manager, resolution="已处理")
    complaint_rate(complaint=complaint, rating=1, comment="没解决")
    complaint.refresh_from_db()
    return complaint


def test_a_low_rating_waits_for_a_supervisor_call_that_clears_it_once(
    retailer_a, manager_a, supervisor_a, client_for, api_client_for
):
    complaint = _low_rated(retailer_a, manager_a)
    listed = api_client_for(supervisor_a).get("/api/v1/complaints/", {"needs_call": "1"}).json()["results"]
    assert [row["id"] for row in listed] == [complaint.pk]
    manager_page = client_for(manager_a).get(reverse("feedback:complaint-detail", args=[complaint.pk]))
    assert 'id="supervisor-call"' not in manager_page.content.decode()
    assert (
        api_client_for(manager_a)
        .post(f"/api/v1/complaints/{complaint.pk}/supervisor-call/", {"note": "x"}, format="json")
        .status_code
        == 403
    )
    page = (
        client_for(supervisor_a)
        .get(reverse("feedback:complaint-detail", args=[complaint.pk]))
        .content.decode()
    )
    assert 'id="supervisor-call"' in page
    client_for(supervisor_a).post(
        reverse("feedback:complaint-action", args=[complaint.pk, "supervisor_call"]), {"note": "已致歉并补送"}
    )
    complaint.refresh_from_db()
    assert complaint.needs_supervisor_call is False
    assert "主管回访：已致歉并补送" in [e.text_display for e in complaint.events.filter(kind="note")]
    again = api_client_for(supervisor_a).post(
        f"/api/v1/complaints/{complaint.pk}/supervisor-call/", {"note": "再次"}, format="json"
    )
    assert again.status_code == 409


def test_api_create_links_a_product_and_only_the_retailers_own_order(
    retailer_a, retailer_b, manager_a, api_client_for
):
    import datetime

    from tests.sales.factories import OrderFactory, ProductFactory

    product = ProductFactory(
        code="6901028001663",
        brand="中华",
        name="中华（硬）",
        wholesale_price_fen=37500,
        retail_price_fen=45000,
    )
    own = OrderFactory(retailer=retailer_a, ordered_on=datetime.date(2026, 11, 16), summaries=False)
    other = OrderFactory(retailer=retailer_b, ordered_on=datetime.date(2026, 11, 16), summaries=False)
    api = api_client_for(manager_a)
    body = {"retailer": retailer_a.pk, "category": "quality", "channel": "phone", "description": "烟支空头"}
    made = api.post("/api/v1/complaints/", {**body, "product": product.pk, "order": own.pk}, format="json")
    assert made.status_code == 201
    assert (made.json()["product"], made.json()["order"]) == (product.pk, own.pk)
    refused = api.post("/api/v1/complaints/", {**body, "order": other.pk}, format="json")
    assert refused.status_code == 400
    assert "order" in refused.json()
    assert Complaint.objects.count() == 1


def test_a_manager_does_not_see_a_complaint_about_their_own_conduct(
    retailer_a, manager_a, supervisor_a, client_for, api_client_for
):
    conduct = open_complaint(retailer_a, "cm_conduct", description="客户经理态度差")
    supply = open_complaint(retailer_a, "supply")
    assert (
        client_for(manager_a).get(reverse("feedback:complaint-detail", args=[conduct.pk])).status_code == 404
    )
    ids = [row["id"] for row in api_client_for(manager_a).get("/api/v1/complaints/").json()["results"]]
    assert ids == [supply.pk]
    assert (
        client_for(supervisor_a).get(reverse("feedback:complaint-detail", args=[conduct.pk])).status_code
        == 200
    )


@pytest.mark.parametrize(
    "params",
    [
        {"assignee": "99999999999999999999999"},
        {"retailer": "99999999999999999999999"},
        {"q": "#99999999999999999999999"},
        {"after": "99999999999999999999.1"},
        {"after": "garbage"},
    ],
)
def test_odd_filters_answer_a_page_not_an_error(cases, manager_a, client_for, api_client_for, params):
    assert client_for(manager_a).get(reverse("feedback:complaint-list"), params).status_code == 200
    response = api_client_for(manager_a).get("/api/v1/complaints/", params)
    # the page's keyset parameter is no API parameter: the API refuses what it does not document, with a 400
    # that names it (one pagination for every list: `cursor`), never a 500
    assert response.status_code == (400 if "after" in params else 200), response.content


@pytest.mark.parametrize("params", [{"q": "a\x00b"}, {"status": "\x00"}])
def test_a_nul_in_a_filter_is_a_clear_400(cases, manager_a, client_for, api_client_for, params):
    assert client_for(manager_a).get(reverse("feedback:complaint-list"), params).status_code == 400
    assert api_client_for(manager_a).get("/api/v1/complaints/", params).status_code == 400


@pytest.mark.parametrize("pk", ["99999999999999999999999", "abc"])
def test_odd_ids_answer_404(manager_a, api_client_for, client_for, pk):
    api = api_client_for(manager_a)
    assert api.get(f"/api/v1/complaints/{pk}/").status_code == 404
    assert api.post(f"/api/v1/complaints/{pk}/start/", {}, format="json").status_code == 404
    assert api.get(f"/api/v1/complaint-categories/{pk}/").status_code == 404
    body = {"outcome": "no_issue", "reason": "x"}
    assert api.post(f"/api/v1/hidden-complaints/{pk}/called/", body, format="json").status_code == 404


def test_photos_are_served_only_to_who_may_see_the_case(
    retailer_a, manager_a, manager_b, client_for, api_client_for
):
    from tests.feedback.factories import PNG_BYTES, png

    complaint = open_complaint(retailer_a, "quality", photos=[png()])
    photo = complaint.photos.get()
    url = reverse("feedback:complaint-photo", args=[complaint.pk, photo.pk])
    response = client_for(manager_a).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG_BYTES
    assert client_for(manager_b).get(url).status_code == 404
    detail = api_client_for(manager_a).get(f"/api/v1/complaints/{complaint.pk}/").json()
    assert detail["photos"][0]["url"] == url
