"""The visit form's endpoint and the API: the same submission twice records one visit, bad input is refused with
field errors, and another territory's shop or visit answers 404 on every path."""

import uuid

import pytest

from tests.visits.factories import CultivationProgrammeFactory, VisitPlanFactory
from visits.models import Visit

pytestmark = pytest.mark.django_db


def form_data(key, **extra):
    return {"idempotency_key": str(key), "no_location_reason": "店内无信号", "notes": "检查了价签", **extra}


def test_the_phone_posting_twice_records_one_visit(client_for, manager_a, retailer_a):
    client = client_for(manager_a)
    key = uuid.uuid4()
    url = f"/visits/retailers/{retailer_a.pk}/record/"
    first = client.post(url, form_data(key, licence_displayed="yes", minors_sign="no", image_rating="3"))
    again = client.post(url, form_data(key))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert again.json()["message"] == "这条走访之前已保存，未重复记录。"
    visit = Visit.objects.get()
    assert (visit.licence_displayed, visit.minors_sign, visit.price_tags, visit.image_rating) == (
        True,
        False,
        None,
        3,
    )
    assert visit.location_flag == "no_location"


def test_form_errors_come_back_as_json_and_nothing_is_written(client_for, manager_a, retailer_a):
    client = client_for(manager_a)
    url = f"/visits/retailers/{retailer_a.pk}/record/"
    no_key = client.post(url, {"no_location_reason": "x"})
    assert no_key.status_code == 400
    assert "idempotency_key" in no_key.json()["errors"]
    no_reason = client.post(url, {"idempotency_key": str(uuid.uuid4())})
    assert no_reason.status_code == 400
    assert no_reason.json()["message"] == "未获取到位置时，请说明原因。"
    assert not Visit.objects.exists()


def test_another_territory_answers_404_everywhere(
    client_for, api_client_for, manager_a, manager_b, retailer_a, record
):
    visit = record(manager_a, retailer_a)
    other = client_for(manager_b)
    assert other.get(f"/visits/retailers/{retailer_a.pk}/new/").status_code == 404
    assert (
        other.post(f"/visits/retailers/{retailer_a.pk}/record/", form_data(uuid.uuid4())).status_code == 404
    )
    assert other.get(f"/visits/log/{visit.pk}/").status_code == 404
    assert other.get(f"/visits/retailers/{retailer_a.pk}/panel/").status_code == 404
    assert "老城甲号便利店" not in other.get("/visits/log/").content.decode()
    api = api_client_for(manager_b)
    assert api.get(f"/api/v1/visits/{visit.pk}/").status_code == 404
    assert api.get("/api/v1/visits/").json()["results"] == []
    created = api.post(
        "/api/v1/visits/", {"retailer": retailer_a.pk, "no_location_reason": "店内无信号"}, format="json"
    )
    assert created.status_code == 404
    assert Visit.objects.count() == 1


def test_api_create_with_the_same_key_twice(api_client_for, manager_a, retailer_a):
    api = api_client_for(manager_a)
    body = {
        "retailer": retailer_a.pk,
        "no_location_reason": "定位超时",
        "price_tags": True,
        "stock": [],
    }
    key = str(uuid.uuid4())
    first = api.post("/api/v1/visits/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = api.post("/api/v1/visits/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["price_tags"] is True
    assert Visit.objects.count() == 1


def test_portrait_panel_and_visit_pages_render(client_for, manager_a, retailer_a, record):
    visit = record(manager_a, retailer_a, notes="宣传禁售未成年人规定", licence_displayed=False)
    client = client_for(manager_a)
    panel = client.get(f"/visits/retailers/{retailer_a.pk}/panel/").content.decode()
    assert "许可证未悬挂" in panel
    assert "未定位" in panel
    assert "宣传禁售未成年人规定" in client.get(f"/visits/log/{visit.pk}/").content.decode()
    assert client.get(f"/visits/retailers/{retailer_a.pk}/new/").status_code == 200
    assert 'id="retailer-visits"' in client.get(f"/retailers/{retailer_a.pk}/").content.decode()


def test_api_visit_plans_are_scoped_and_filtered_by_date(
    api_client_for, manager_a, manager_b, retailer_a, route_a
):
    import datetime

    for day in (datetime.date(2026, 11, 23), datetime.date(2026, 11, 30)):
        VisitPlanFactory(
            retailer=retailer_a, planned_on=day, manager=manager_a, route=route_a, frequency="weekly"
        )
    own = api_client_for(manager_a).get("/api/v1/visit-plans/", {"planned_from": "2026-11-24"}).json()
    assert [row["planned_on"] for row in own["results"]] == ["2026-11-30"]
    assert api_client_for(manager_b).get("/api/v1/visit-plans/").json()["results"] == []
    assert api_client_for(manager_a).get("/api/v1/visit-plans/", {"planned_from": "24/11"}).status_code == 400


def test_visit_form_offers_the_running_programmes_and_the_complaint_categories(
    client_for, manager_a, retailer_a, products, dept_a, complaint_categories
):
    import datetime

    from django.utils import timezone

    from visits.models import CultivationTarget

    today = timezone.localdate()
    programme = CultivationProgrammeFactory(
        name="天叶培育",
        product=products["HJY"],
        org_unit=dept_a,
        starts_on=today - datetime.timedelta(days=1),
        ends_on=today + datetime.timedelta(days=1),
        goal_selling_retailers=1,
        goal_sell_through_pct=100,
        created_by=manager_a,
    )
    CultivationTarget.objects.create(programme=programme, retailer=retailer_a, source="hand")
    html = client_for(manager_a).get(f"/visits/retailers/{retailer_a.pk}/new/").content.decode()
    assert f'name="stock_{programme.pk}"' in html
    assert "黄金叶（天叶）" in html
    assert '<option value="supply">货源供应与分配</option>' in html


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("get", "/api/v1/daily-list/?manager=99999999999999999999", None),
        ("get", "/api/v1/visit-coverage/?day_from=0001-01-01&day_to=9999-12-31", None),
        ("get", "/api/v1/visit-plans/?planned_from=2026-13-01", None),
        ("post", "/api/v1/visits/", {"retailer": "not-a-number"}),
        ("post", "/api/v1/visits/", {"retailer": 2**40}),
        ("post", "/api/v1/visits/", {"retailer": 1, "accuracy_m": 2**40}),
        ("post", "/api/v1/cultivation-programmes/", {"name": "x", "product": 2**40}),
    ],
)
def test_bad_api_input_is_a_client_error(api_client_for, supervisor_a, method, url, body):
    response = getattr(api_client_for(supervisor_a), method)(url, body, format="json")
    assert response.status_code == 400


def test_bad_page_parameters_are_ignored_or_refused(client_for, manager_a, supervisor_a):
    assert client_for(manager_a).get("/visits/log/?before=99999999999999999999").status_code == 200
    assert client_for(supervisor_a).get("/visits/?manager=99999999999999999999").status_code == 200
    assert (
        client_for(supervisor_a).get("/visits/coverage/?day_from=2026-12-01&day_to=2026-01-01").status_code
        == 200
    )


def test_the_phone_clock_comes_in_a_header_and_a_wrong_one_is_a_reason(client_for, manager_a, retailer_a):
    import datetime

    from django.utils import timezone

    client = client_for(manager_a)
    url = f"/visits/retailers/{retailer_a.pk}/record/"
    now = timezone.now()
    right = client.post(url, form_data(uuid.uuid4()), headers={"X-Device-Time": now.isoformat()})
    assert right.status_code == 201
    assert Visit.objects.get(pk=right.json()["id"]).device_time is not None
    assert not any("手机时间" in text for text in right.json()["trust_reasons"])
    wrong_clock = (now - datetime.timedelta(hours=3)).isoformat()
    wrong = client.post(url, form_data(uuid.uuid4()), headers={"X-Device-Time": wrong_clock})
    assert wrong.status_code == 201
    assert any("手机时间" in text for text in wrong.json()["trust_reasons"]), wrong.json()["trust_reasons"]
    unreadable = client.post(url, form_data(uuid.uuid4()), headers={"X-Device-Time": "yesterday"})
    assert unreadable.status_code == 400
    assert Visit.objects.count() == 2
