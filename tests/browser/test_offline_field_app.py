"""The installable field app offline, on a 390-px phone with an emulated position: the service worker keeps today's
list and the shops' portraits; with no network the manager opens them (a banner says how old the copy is), records
two visits with photos that wait in the queue ("2 条待上传") through a reload, and a third for a shop that moves to
another manager meanwhile; back online the queue empties by itself: the two visits arrive exactly once (a replay
changes nothing), the third is refused with a clear message and kept whole for the supervisor. Logout wipes the
cached pages and the queue."""

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Retailer
from fieldapp.models import HeldVisit
from tests.browser.conftest import PASSWORD, PHONE
from visits.models import Visit, VisitPhoto

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POSITION = {"latitude": 34.004, "longitude": 112.0, "accuracy": 12}
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 64
SCREENS = Path(__file__).resolve().parents[2] / "artifacts" / "screens"


@pytest.fixture
def phone(browser, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        geolocation=POSITION,
        permissions=["geolocation"],
        service_workers="allow",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def queue_items(page):
    return page.evaluate(
        """() => window.FieldQueue.all().then(items => items.map(i => [i.shop, i.state, (i.photos || []).length]))"""
    )


def cache_sizes(page):
    return page.evaluate(
        """async () => { const out = {}; for (const k of await caches.keys()) out[k] = (await (await caches.open(k)).keys()).length; return out; }"""
    )


def record_offline(page, base, shop, note):
    page.goto(f"{base}/visits/retailers/{shop.pk}/new/")
    expect(page.locator("h1")).to_contain_text(shop.shop_name)
    page.locator("#checkin-btn").click()
    expect(page.locator("#checkin-status")).to_contain_text("已定位，精度约 12 米")
    page.locator("label[for=licence_displayed-yes]").click()
    page.fill("#id_notes", note)
    page.set_input_files(
        "#id_photos", files=[{"name": f"{shop.pk}.jpg", "mimeType": "image/jpeg", "buffer": JPEG}]
    )
    page.locator("#visit-submit").click()
    expect(page.locator("#visit-state")).to_contain_text("未发送")


def test_offline_visits_queue_sync_once_and_logout_wipes(phone, live_server, world):
    base = live_server.url
    for shop in (world.shop_a1, world.shop_a2, world.shop_a3):
        Retailer.objects.filter(pk=shop.pk).update(
            latitude=Decimal("34.000000"), longitude=Decimal("112.000000")
        )
    phone.goto(f"{base}/login/")
    phone.fill("#id_username", world.cm_a.username)
    phone.fill("#id_password", PASSWORD)
    phone.locator("#login-form button[type=submit]").click()
    phone.wait_for_url(f"{base}/")

    # online: the manifest is linked, the worker installs and the day's pages are kept for offline use
    assert phone.locator('link[rel="manifest"]').get_attribute("href") == "/manifest.webmanifest"
    # predicates as functions: a string expression would be eval()ed in the page, which the CSP refuses
    phone.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'", timeout=60_000)
    phone.wait_for_function(
        "() => navigator.serviceWorker.controller !== null || location.reload()", timeout=15_000
    )
    kept = cache_sizes(phone)
    assert kept["field-pages"] >= 1 + 3 * 2  # home, lists, and each shop's portrait and visit form

    # offline: today's list and a portrait come from the copies, with their age
    phone.context.set_offline(True)
    phone.goto(f"{base}/visits/")
    expect(phone.locator(f'.daily-entry[data-retailer="{world.shop_a1.pk}"]')).to_be_visible()
    expect(phone.locator("#daily-list")).not_to_contain_text("涧西甲号超市")
    expect(phone.locator("#page-age")).to_contain_text("离线副本：更新于")
    phone.goto(f"{base}/retailers/{world.shop_a2.pk}/")
    expect(phone.locator("h1")).to_contain_text(world.shop_a2.shop_name)
    expect(phone.locator("#page-age")).to_be_visible()

    # two visits with photos, and a third for 西关副食店
    record_offline(phone, base, world.shop_a1, "离线记录一")
    expect(phone.locator("#offline-queue .q-count")).to_have_text("1 条待上传")
    record_offline(phone, base, world.shop_a2, "离线记录二")
    record_offline(phone, base, world.shop_a3, "离线记录三")
    expect(phone.locator("#offline-queue .q-count")).to_have_text("3 条待上传")

    # a reload changes nothing: the queue is on the phone, each item with its state
    phone.reload()
    expect(phone.locator("#offline-queue .q-count")).to_have_text("3 条待上传")
    assert sorted(queue_items(phone)) == sorted(
        [[s.shop_name, "queued", 1] for s in (world.shop_a1, world.shop_a2, world.shop_a3)]
    )
    assert Visit.objects.count() == 0
    SCREENS.mkdir(parents=True, exist_ok=True)
    phone.locator("#offline-queue summary").click()
    phone.screenshot(path=str(SCREENS / "offline-queue-390.png"))

    # meanwhile 西关副食店 moves to the other county's manager
    Retailer.objects.filter(pk=world.shop_a3.pk).update(route=world.route_b, org_unit=world.route_b.org_unit)

    # back online: the queue sends itself
    phone.context.set_offline(False)
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    expect(phone.locator("#offline-queue .q-count")).to_have_text("1 条未入账", timeout=30_000)
    refused = phone.locator("#offline-queue .q-item.q-refused")
    expect(refused).to_contain_text("西关副食店 已划归其他客户经理")
    expect(refused).to_contain_text("未入账，已转交主管")
    phone.screenshot(path=str(SCREENS / "offline-queue-refused-390.png"))

    visits = Visit.objects.order_by("retailer_id")
    assert [(v.retailer_id, v.manager_id, v.notes) for v in visits] == [
        (world.shop_a1.pk, world.cm_a.pk, "离线记录一"),
        (world.shop_a2.pk, world.cm_a.pk, "离线记录二"),
    ]
    assert VisitPhoto.objects.filter(visit__in=visits).count() == 2
    held = HeldVisit.objects.get()
    assert (held.retailer_id, held.manager_id, held.payload["notes"]) == (
        world.shop_a3.pk,
        world.cm_a.pk,
        "离线记录三",
    )
    assert held.photos.count() == 1

    # another reload and another sync round: nothing arrives twice
    phone.reload()
    phone.evaluate("window.FieldQueue.sync()")
    phone.wait_for_timeout(1500)
    assert Visit.objects.count() == 2
    assert HeldVisit.objects.count() == 1

    # the refused visit is kept on the server: the phone's copy may be dismissed
    phone.locator("#offline-queue summary").click()
    phone.locator("#offline-queue .q-dismiss").click()
    expect(phone.locator("#offline-queue")).to_be_hidden()
    assert queue_items(phone) == []
    assert HeldVisit.objects.count() == 1

    # a visit that cannot reach the server (the sync endpoint is blocked) waits in the queue …
    phone.route("**/field/visits/*/sync/", lambda route: route.abort())
    phone.goto(f"{base}/visits/retailers/{world.shop_a1.pk}/new/")
    phone.fill("#id_no_location_reason", "室内无信号")
    phone.fill("#id_notes", "未能上传")
    phone.locator("#visit-submit").click()
    expect(phone.locator("#offline-queue .q-count")).to_have_text("1 条待上传")
    # the count shows as soon as the visit is queued; the failed attempt to send it is marked a moment later
    phone.wait_for_function(
        "() => window.FieldQueue.all().then(items => items.length === 1 && items[0].state === 'failed')",
        timeout=15_000,
    )
    assert queue_items(phone) == [[world.shop_a1.shop_name, "failed", 0]]

    # … and logout (confirming that it will be deleted) wipes copies and queue
    dialogs = []
    phone.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    phone.locator('form[action="/logout/"] button').first.dispatch_event("click")
    phone.wait_for_url(f"{base}/login/")
    assert dialogs == ["还有 1 条走访未上传，退出将从本机删除。确定退出？"]
    assert cache_sizes(phone) == {}
    assert phone.evaluate("indexedDB.databases().then(dbs => dbs.map(d => d.name))") == []
    assert phone.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0
    assert (
        phone.evaluate(
            "Object.keys(localStorage).filter(k => k.startsWith('visit-draft:') || k.startsWith('field-'))"
        )
        == []
    )
    assert Visit.objects.count() == 2
