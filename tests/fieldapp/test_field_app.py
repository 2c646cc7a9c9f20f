"""The field app's server side: the service worker and manifest at the site root, the pages a phone keeps offline
(every one of them a page the user may open, none of another territory's shops), the queue's sync endpoint
(idempotent; a shop that moved away is refused with 409 and held, never lost), the held visits' visibility, and
a logout that clears the site's data."""

import datetime
import json
import uuid

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve, reverse
from django.utils import timezone

from accounts.models import Retailer
from fieldapp import views as field_views
from fieldapp.models import HeldVisit
from fieldapp.selectors import offline_urls
from tests.accounts.factories import RetailerFactory
from tests.visits.factories import VisitPlanFactory
from visits.models import Visit

pytestmark = pytest.mark.django_db
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 40


def test_service_worker_is_served_at_the_root_with_the_whole_site_as_scope(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript"
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    assert f"const SHELL_VERSION = '{field_views.SHELL_VERSION}'" in body
    assert 'addEventListener("fetch"' in body
    # every shell file exists (no CDN: all of it is served by the app)
    for path in field_views.SHELL:
        assert finders.find(path), path
        assert f"/static/{path}" in body


def test_manifest(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert (data["start_url"], data["scope"], data["display"]) == ("/visits/", "/", "standalone")
    assert data["name"] == "烟草营销 CRM · 外勤"
    assert all(finders.find(icon["src"].removeprefix("/static/")) for icon in data["icons"])


@pytest.fixture
def day(manager_a, route_a, retailer_a, retailer_b):
    """retailer_a and two more shops of manager_a (never visited: on today's list), one planned for tomorrow."""
    extra = [RetailerFactory(route=route_a, shop_name=f"离线{i}号店") for i in (1, 2)]
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    VisitPlanFactory(retailer=extra[0], manager=manager_a, route=route_a, planned_on=tomorrow)
    return [retailer_a, *extra]


def test_offline_urls_are_the_users_own_pages_and_each_opens(client_for, manager_a, day, retailer_b):
    urls = offline_urls(user=manager_a)
    assert urls[:5] == ["/", "/field/products/", "/visits/", "/visits/route/", "/visits/?day=tomorrow"]
    for shop in day:
        assert reverse("accounts:retailer-detail", args=[shop.pk]) in urls
        assert reverse("visits:visit-new", args=[shop.pk]) in urls
    assert not [u for u in urls if f"/{retailer_b.pk}/" in u]
    assert len(urls) == len(set(urls))
    # every kept page is one the manager may open, a GET page answering 200 (a redirect or 404 would be cached as
    # the page); the portraits are rendered for them (masked: the owner's ID number never appears)
    client = client_for(manager_a)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "410302198001010019" not in response.content.decode(), url
    # the offline URL list itself answers the same
    assert client.get("/field/offline-urls/").json()["urls"] == urls


def test_offline_urls_of_a_supervisor_name_the_manager(supervisor_a, manager_a, day):
    urls = offline_urls(user=supervisor_a)
    assert f"/visits/?manager={manager_a.pk}" in urls
    assert f"/visits/?manager={manager_a.pk}&day=tomorrow" in urls


def test_tomorrows_list(client_for, manager_a, day):
    response = client_for(manager_a).get("/visits/", {"day": "tomorrow"})
    assert response.status_code == 200
    assert "明日走访清单" in response.content.decode()


def post_visit(client, shop, key, **extra):
    data = {"idempotency_key": str(key), "no_location_reason": "室内无信号", "notes": "离线记录", **extra}
    return client.post(reverse("fieldapp:visit-sync", args=[shop.pk]), data)


def test_sync_in_scope_is_the_visit_endpoint_and_idempotent(client_for, manager_a, retailer_a):
    client = client_for(manager_a)
    key = uuid.uuid4()
    photo = SimpleUploadedFile("a.jpg", JPEG, content_type="image/jpeg")
    first = post_visit(client, retailer_a, key, photos=[photo])
    assert first.status_code == 201
    again = post_visit(client, retailer_a, key)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    visit = Visit.objects.get()
    assert (visit.retailer_id, visit.manager_id, visit.photos.count()) == (retailer_a.pk, manager_a.pk, 1)


def test_sync_for_a_shop_that_moved_is_refused_and_held(
    client_for, manager_a, retailer_a, route_b, tmp_path, settings
):
    settings.MEDIA_ROOT = str(tmp_path)
    Retailer.objects.filter(pk=retailer_a.pk).update(route=route_b, org_unit=route_b.org_unit)
    client = client_for(manager_a)
    key = uuid.uuid4()
    photo = SimpleUploadedFile("a.jpg", JPEG, content_type="image/jpeg")
    response = post_visit(client, retailer_a, key, photos=[photo])
    assert response.status_code == 409
    body = response.json()
    assert body["held"] is True
    assert body["message"] == "未入账：老城甲号便利店 已划归其他客户经理。本次走访已完整保留，转交主管处理。"
    assert post_visit(client, retailer_a, key).status_code == 409  # a replay: the same answer, nothing new
    held = HeldVisit.objects.get()
    assert (held.idempotency_key, held.manager_id, held.retailer_id) == (key, manager_a.pk, retailer_a.pk)
    assert held.payload["notes"] == "离线记录"
    assert "csrfmiddlewaretoken" not in held.payload
    assert held.photos.count() == 1
    assert not Visit.objects.exists()


def test_sync_of_a_visit_recorded_before_the_shop_moved_answers_saved(
    client_for, manager_a, retailer_a, route_b
):
    client = client_for(manager_a)
    key = uuid.uuid4()
    assert post_visit(client, retailer_a, key).status_code == 201
    Retailer.objects.filter(pk=retailer_a.pk).update(route=route_b, org_unit=route_b.org_unit)
    response = post_visit(client, retailer_a, key)
    assert response.status_code == 200
    assert not HeldVisit.objects.exists()
    assert Visit.objects.count() == 1


def test_sync_of_a_missing_shop_is_404(client_for, manager_a):
    response = client_for(manager_a).post(
        reverse("fieldapp:visit-sync", args=[987654]), {"idempotency_key": str(uuid.uuid4())}
    )
    assert response.status_code == 404


def test_held_visits_are_seen_by_both_sides_supervisors_only(
    client_for, manager_a, manager_b, supervisor_a, retailer_a, route_b
):
    Retailer.objects.filter(pk=retailer_a.pk).update(route=route_b, org_unit=route_b.org_unit)
    post_visit(client_for(manager_a), retailer_a, uuid.uuid4())
    assert (
        "老城甲号便利店" in client_for(supervisor_a).get("/field/held/").content.decode()
    )  # the manager's side
    assert (
        "老城甲号便利店" in client_for(manager_b).get("/field/held/").content.decode()
    )  # the shop's new side
    assert "老城甲号便利店" in client_for(manager_a).get("/field/held/").content.decode()  # their own


def test_logout_clears_site_data(client_for, manager_a):
    response = client_for(manager_a).post("/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert resolve("/logout/").func.view_class is field_views.LogoutView


@pytest.fixture
def held_visit(client_for, manager_a, retailer_a, route_b, tmp_path, settings):
    """Manager A's offline visit to a shop that moved to route B meanwhile, held with a photo and the phone's clock."""
    settings.MEDIA_ROOT = str(tmp_path)
    Retailer.objects.filter(pk=retailer_a.pk).update(route=route_b, org_unit=route_b.org_unit)
    photo = SimpleUploadedFile("a.jpg", JPEG, content_type="image/jpeg")
    response = client_for(manager_a).post(
        reverse("fieldapp:visit-sync", args=[retailer_a.pk]),
        {
            "idempotency_key": str(uuid.uuid4()),
            "no_location_reason": "室内无信号",
            "notes": "离线记录",
            "photos": [photo],
        },
        headers={"X-Device-Time": timezone.now().isoformat()},
    )
    assert response.status_code == 409
    return HeldVisit.objects.get()


def test_a_supervisor_records_a_held_visit_as_the_visit_its_manager_made(
    held_visit, client_for, supervisor_a
):
    sent = timezone.now() - datetime.timedelta(days=3)  # decided three days after the phone sent it
    payload = {**held_visit.payload, "device_time": sent.isoformat()}
    HeldVisit.objects.filter(pk=held_visit.pk).update(created_at=sent, payload=payload)
    client = client_for(supervisor_a)
    response = client.post(reverse("fieldapp:held-decide", args=[held_visit.pk]), {"decision": "record"})
    assert response.status_code == 302
    held_visit.refresh_from_db()
    visit = Visit.objects.get()
    assert (held_visit.status, held_visit.visit_id, held_visit.decided_by_id) == (
        "recorded",
        visit.pk,
        supervisor_a.pk,
    )
    assert (visit.manager_id, visit.retailer_id, visit.idempotency_key) == (
        held_visit.manager_id,
        held_visit.retailer_id,
        held_visit.idempotency_key,
    )
    assert visit.notes == "离线记录"
    assert visit.photos.count() == 1
    assert visit.device_time is not None
    # three days later, measured from when the phone sent it: inside the 24-hour window, no clock reason
    assert "device_clock" not in {r["code"] for r in visit.trust_reasons}
    again = client.post(
        reverse("fieldapp:held-decide", args=[held_visit.pk]), {"decision": "dismiss", "note": "x"}
    )
    assert again.status_code == 302
    assert Visit.objects.count() == 1
    held_visit.refresh_from_db()
    assert held_visit.status == "recorded"
    page = client.get("/field/held/").content.decode()
    assert "已入账" in page
    assert "没有待处理的走访" in page


def test_dismissing_needs_a_reason_and_keeps_it(held_visit, client_for, supervisor_a):
    client = client_for(supervisor_a)
    url = reverse("fieldapp:held-decide", args=[held_visit.pk])
    client.post(url, {"decision": "dismiss", "note": "  "})
    held_visit.refresh_from_db()
    assert held_visit.status == "open"
    client.post(url, {"decision": "dismiss", "note": "同一天已有新客户经理的走访"})
    held_visit.refresh_from_db()
    assert (held_visit.status, held_visit.decision_note, held_visit.visit_id) == (
        "dismissed",
        "同一天已有新客户经理的走访",
        None,
    )
    assert not Visit.objects.exists()


def test_only_a_supervisor_in_scope_decides(held_visit, client_for, manager_a, manager_b, company):
    from tests.users.factories import CountyFactory, SupervisorFactory

    elsewhere = SupervisorFactory(
        username="supervisor_c", org_unit=CountyFactory(name="西工区", parent=company)
    )
    url = reverse("fieldapp:held-decide", args=[held_visit.pk])
    for user in (manager_a, manager_b):
        assert client_for(user).post(url, {"decision": "record"}).status_code == 403
    assert client_for(elsewhere).post(url, {"decision": "record"}).status_code == 404
    held_visit.refresh_from_db()
    assert held_visit.status == "open"


def test_the_offline_list_says_how_often_the_phone_refreshes_it(client_for, manager_a, settings):
    settings.FIELD_OFFLINE_REFRESH_SECONDS = 1800
    assert client_for(manager_a).get("/field/offline-urls/").json()["refresh_seconds"] == 1800
