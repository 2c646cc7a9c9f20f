"""Pages and API: scoped to the territory (another territory's retailer is a 404), redemptions once per
idempotency key, the retailer's signed link, the finance page, the schedules."""

import datetime

import pytest
from django.core import signing
from django.core.management import call_command
from django.urls import reverse

from loyalty.ledger.models import PointsEntry
from loyalty.links import LEGACY_SALT, retailer_link_token
from loyalty.rewards.models import Redemption
from tests.loyalty.conftest import balance_of
from tests.loyalty.factories import RewardFactory


@pytest.fixture
def funded(two_territories, fund):
    retailer_a, retailer_b = two_territories
    fund(retailer_a, 1000, datetime.date(2099, 12, 31))
    fund(retailer_b, 1000, datetime.date(2099, 12, 31))
    return retailer_a, retailer_b


@pytest.fixture
def lamp(db):
    return RewardFactory(name="烟柜灯箱", points_price=300)


# ---- the portrait panel ----------------------------------------------------------------------------------------
def test_the_portrait_loads_the_points_panel(funded, manager_a, client_for):
    retailer_a, _b = funded
    html = client_for(manager_a).get(retailer_a.get_absolute_url()).content.decode()
    assert reverse("loyalty:retailer-points", args=[retailer_a.pk]) in html


def test_the_panel_shows_balance_expiry_and_the_rewards_within_reach(funded, manager_a, client_for, lamp):
    retailer_a, _b = funded
    RewardFactory(name="年度礼盒", points_price=5000)

    html = (
        client_for(manager_a).get(reverse("loyalty:retailer-points", args=[retailer_a.pk])).content.decode()
    )

    assert 'id="points-balance">1000<' in html
    assert "1000 积分将于 2099-12-31 到期" in html
    assert "烟柜灯箱 · 300分" in html
    assert "年度礼盒" not in html  # out of reach: not offered
    assert "/loyalty/m/" not in html  # the retailer's live link is never shown to staff (texted to the shop)


def test_the_panel_statement_and_redeem_of_another_territory_are_404(funded, manager_a, client_for, lamp):
    _a, retailer_b = funded
    client = client_for(manager_a)
    assert client.get(reverse("loyalty:retailer-points", args=[retailer_b.pk])).status_code == 404
    assert client.get(reverse("loyalty:retailer-statement", args=[retailer_b.pk])).status_code == 404
    response = client.post(
        reverse("loyalty:retailer-redeem", args=[retailer_b.pk]),
        {"reward": lamp.pk, "quantity": 1, "idempotency_key": "k1"},
    )
    assert response.status_code == 404
    assert balance_of(retailer_b) == 1000


def test_submitting_the_panel_form_twice_redeems_once(funded, manager_a, client_for, lamp):
    retailer_a, _b = funded
    client = client_for(manager_a)
    url = reverse("loyalty:retailer-redeem", args=[retailer_a.pk])
    form = {"reward": lamp.pk, "quantity": 2, "idempotency_key": "form-1"}

    first = client.post(url, form, HTTP_HX_REQUEST="true")
    second = client.post(url, form, HTTP_HX_REQUEST="true")

    assert first.status_code == second.status_code == 200
    assert "已兑换 烟柜灯箱，扣减 600 积分。" in first.content.decode()
    assert "已兑换 烟柜灯箱，扣减 600 积分。" in second.content.decode()
    assert Redemption.objects.count() == 1
    assert balance_of(retailer_a) == 400


def test_cancelling_from_the_panel_refunds(funded, supervisor_a, client_for, lamp):
    retailer_a, _b = funded
    client = client_for(supervisor_a)
    client.post(
        reverse("loyalty:retailer-redeem", args=[retailer_a.pk]),
        {"reward": lamp.pk, "quantity": 1, "idempotency_key": "x"},
    )
    redemption = Redemption.objects.get()

    response = client.post(
        reverse("loyalty:redemption-action", args=[redemption.pk, "cancel"]), HTTP_HX_REQUEST="true"
    )

    assert "已取消，积分已退还。" in response.content.decode()
    assert balance_of(retailer_a) == 1000


def test_a_referral_from_the_panel(retailer_a, route_a, manager_a, client_for):
    from django.utils import timezone

    from tests.accounts.factories import RetailerFactory

    issued = timezone.localdate() - datetime.timedelta(days=10)
    shop = RetailerFactory(
        route=route_a, licence_issued_on=issued, licence_expires_on=issued + datetime.timedelta(days=900)
    )

    response = client_for(manager_a).post(
        reverse("loyalty:retailer-refer", args=[retailer_a.pk]), {"licence_no": shop.licence_no}
    )

    assert f"已登记推荐：{shop.shop_name}。" in response.content.decode()


def _statement_rows(html: str) -> int:
    """Rows of the statement list only (the menu has list items too)."""
    return html.split('id="statement"', 1)[1].split("</ul>", 1)[0].count("<li>")


# ---- pages ---------------------------------------------------------------------------------------------------------
def test_the_statement_pages_back_through_the_entries(funded, manager_a, client_for, fund):
    retailer_a, _b = funded
    for _ in range(55):
        fund(retailer_a, 1)
    client = client_for(manager_a)

    first = client.get(reverse("loyalty:retailer-statement", args=[retailer_a.pk]))
    html = first.content.decode()
    assert _statement_rows(html) == 50
    assert 'id="statement-more"' in html
    older = client.get(
        reverse("loyalty:retailer-statement", args=[retailer_a.pk]), {"before": first.context["next_before"]}
    )
    assert _statement_rows(older.content.decode()) == 6


def test_the_liability_page_is_for_finance_and_sums_the_territory(
    funded, supervisor_a, manager_a, client_for
):
    assert client_for(manager_a).get(reverse("loyalty:liability")).status_code == 403

    response = client_for(supervisor_a).get(reverse("loyalty:liability"))

    assert response.status_code == 200
    table = response.context["t"]
    assert table["total_latest"] == 1000  # retailer_b is another county's
    assert [row["unit"].name for row in table["rows"]] == ["老城营销一部"]


def test_the_home_page_lists_the_territorys_redemptions(funded, manager_a, manager_b, client_for, lamp):
    from loyalty.rewards.services import reward_redeem

    retailer_a, retailer_b = funded
    reward_redeem(retailer_id=retailer_a.pk, reward_id=lamp.pk, user=manager_a)
    reward_redeem(retailer_id=retailer_b.pk, reward_id=lamp.pk, user=manager_b)

    response = client_for(manager_a).get(reverse("loyalty:home"))

    assert [r.account.retailer_id for r, _may in response.context["redemptions"]] == [retailer_a.pk]


def test_a_coupon_is_used_from_the_home_page(retailer_a, manager_a, client_for):
    from django.utils import timezone

    from loyalty.coupons.services import coupon_batch_issue

    coupon = coupon_batch_issue(
        name="抵扣券", retailer_ids=[retailer_a.pk], expires_on=timezone.localdate(), value_fen=500
    ).coupons.get()
    client = client_for(manager_a)

    client.post(reverse("loyalty:coupon-redeem"), {"code": coupon.code.lower()})
    again = client.post(reverse("loyalty:coupon-redeem"), {"code": coupon.code}, follow=True)

    coupon.refresh_from_db()
    assert coupon.status == "redeemed"
    assert "该券已于" in again.content.decode()


# ---- the retailer's link -----------------------------------------------------------------------------------------
def test_the_link_shows_the_retailers_points_without_a_login(funded, client, lamp):
    retailer_a, _b = funded
    response = client.get(reverse("loyalty:link", args=[retailer_link_token(retailer_id=retailer_a.pk)]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="link-balance">1000<' in html
    assert retailer_a.shop_name in html
    assert response["Referrer-Policy"] == "same-origin"


def test_a_forged_or_expired_link_is_refused(funded, client, settings):
    retailer_a, _b = funded
    forged = signing.dumps(retailer_a.pk, salt=LEGACY_SALT, key="not-our-secret")
    assert client.get(reverse("loyalty:link", args=[forged])).status_code == 404
    old = signing.TimestampSigner(salt=LEGACY_SALT).sign_object(retailer_a.pk)
    # signed 31 days ago: one day past the programme's 30
    from unittest import mock

    with mock.patch("django.core.signing.time.time", return_value=__import__("time").time() + 31 * 86400):
        assert client.get(reverse("loyalty:link", args=[old])).status_code == 404


def test_a_link_sent_before_the_one_scheme_still_opens(funded, client, lamp):
    """SMS already sent carry the old form (the bare retailer id under the loyalty salt): it keeps working."""
    retailer_a, _b = funded
    legacy = signing.dumps(retailer_a.pk, salt=LEGACY_SALT)
    response = client.get(reverse("loyalty:link", args=[legacy]))
    assert response.status_code == 200
    assert 'id="link-balance">1000<' in response.content.decode()


def test_redeeming_through_the_link_twice_with_one_key_redeems_once(funded, client, lamp):
    retailer_a, _b = funded
    token = retailer_link_token(retailer_id=retailer_a.pk)
    form = {"reward": lamp.pk, "quantity": 1, "idempotency_key": "tap-1"}

    client.post(reverse("loyalty:link-redeem", args=[token]), form)
    page = client.post(reverse("loyalty:link-redeem", args=[token]), form, follow=True)

    assert "兑换申请已提交：烟柜灯箱，扣减 300 积分。" in page.content.decode()
    assert Redemption.objects.get().channel == "link"
    assert balance_of(retailer_a) == 700


# ---- API ---------------------------------------------------------------------------------------------------------
def test_api_accounts_are_scoped(funded, manager_a, api_client_for):
    retailer_a, retailer_b = funded
    api = api_client_for(manager_a)

    listed = api.get("/api/v1/loyalty/accounts/").json()["results"]
    own = api.get(f"/api/v1/loyalty/accounts/{retailer_a.pk}/")
    other = api.get(f"/api/v1/loyalty/accounts/{retailer_b.pk}/")

    assert [row["retailer"] for row in listed] == [retailer_a.pk]
    assert own.json()["balance"] == 1000
    assert own.json()["next_expiry"] == {"date": "2099-12-31", "points": 1000}
    assert other.status_code == 404


def test_api_entries_page_by_cursor(funded, manager_a, api_client_for, fund):
    retailer_a, _b = funded
    for _ in range(3):
        fund(retailer_a, 5)
    api = api_client_for(manager_a)

    page = api.get("/api/v1/loyalty/entries/", {"page_size": 2}).json()
    rest = api.get(page["next"]).json()

    assert [e["points"] for e in page["results"]] == [5, 5]
    assert [e["points"] for e in rest["results"]] == [5, 1000]
    assert {e["retailer"] for e in page["results"] + rest["results"]} == {retailer_a.pk}


def test_api_redemption_needs_a_key_and_a_repeat_gets_the_same_response(
    funded, manager_a, api_client_for, lamp
):
    retailer_a, _b = funded
    api = api_client_for(manager_a)
    body = {"retailer": retailer_a.pk, "reward": lamp.pk, "quantity": 1}

    without = super(type(api), api).post("/api/v1/loyalty/redemptions/", body, format="json")  # no key at all
    first = api.post("/api/v1/loyalty/redemptions/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    second = api.post("/api/v1/loyalty/redemptions/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    reused = api.post(
        "/api/v1/loyalty/redemptions/", {**body, "quantity": 2}, format="json", HTTP_IDEMPOTENCY_KEY="abc-1"
    )

    assert without.status_code == 400
    assert "Idempotency-Key" in str(without.json())
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert reused.status_code == 409
    assert Redemption.objects.count() == 1
    assert balance_of(retailer_a) == 700


def test_api_a_refused_redemption_is_replayed_as_refused(funded, manager_a, api_client_for):
    retailer_a, _b = funded
    gift = RewardFactory(name="年度礼盒", points_price=5000)
    api = api_client_for(manager_a)
    body = {"retailer": retailer_a.pk, "reward": gift.pk}

    first = api.post("/api/v1/loyalty/redemptions/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    second = api.post("/api/v1/loyalty/redemptions/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert first.status_code == second.status_code == 409
    assert "积分不足" in first.json()["detail"]
    assert first.json() == second.json()


def test_api_redemption_for_another_territory_is_404(funded, manager_a, api_client_for, lamp):
    _a, retailer_b = funded
    response = api_client_for(manager_a).post(
        "/api/v1/loyalty/redemptions/",
        {"retailer": retailer_b.pk, "reward": lamp.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k2",
    )
    assert response.status_code == 404
    assert balance_of(retailer_b) == 1000


def test_api_supervisor_decides_and_cancel_refunds(funded, manager_a, supervisor_a, api_client_for, lamp):
    retailer_a, _b = funded
    created = api_client_for(manager_a).post(
        "/api/v1/loyalty/redemptions/",
        {"retailer": retailer_a.pk, "reward": lamp.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k3",
    )
    pk = created.json()["id"]
    assert api_client_for(manager_a).post(f"/api/v1/loyalty/redemptions/{pk}/approve/").status_code == 403
    supervisor = api_client_for(supervisor_a)

    assert supervisor.post(f"/api/v1/loyalty/redemptions/{pk}/approve/").json()["status"] == "approved"
    cancelled = supervisor.post(
        f"/api/v1/loyalty/redemptions/{pk}/cancel/", {"reason": "缺货"}, format="json"
    )

    assert cancelled.json()["status"] == "cancelled"
    assert balance_of(retailer_a) == 1000


def test_api_adjust_and_reverse_are_for_supervisors(funded, manager_a, supervisor_a, api_client_for):
    retailer_a, _b = funded
    body = {"retailer": retailer_a.pk, "points": 50, "reason": "活动补录"}
    assert (
        api_client_for(manager_a)
        .post("/api/v1/loyalty/entries/adjust/", body, format="json", HTTP_IDEMPOTENCY_KEY="a")
        .status_code
        == 403
    )
    api = api_client_for(supervisor_a)

    entry = api.post("/api/v1/loyalty/entries/adjust/", body, format="json", HTTP_IDEMPOTENCY_KEY="a").json()
    api.post("/api/v1/loyalty/entries/adjust/", body, format="json", HTTP_IDEMPOTENCY_KEY="a")
    reversal = api.post(
        f"/api/v1/loyalty/entries/{entry['id']}/reverse/",
        {"reason": "录错"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="r",
    )

    assert reversal.status_code == 201
    assert reversal.json()["points"] == -50
    assert PointsEntry.objects.filter(kind="adjust", note="活动补录").count() == 1
    assert balance_of(retailer_a) == 1000


def test_api_coupon_issue_and_redeem(two_territories, supervisor_a, api_client_for):
    retailer_a, _b = two_territories
    api = api_client_for(supervisor_a)
    expires = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()  # noqa: DTZ011 - a date ahead

    issued = api.post(
        "/api/v1/loyalty/coupons/issue/",
        {
            "name": "抵扣券",
            "retailer_ids": [retailer_a.pk],
            "expires_on": expires,
            "value_fen": 1000,
            "source": "campaign:9",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="issue-1",
    )
    code = api.get("/api/v1/loyalty/coupons/").json()["results"][0]["code"]
    used = api.post(
        "/api/v1/loyalty/coupons/redeem/", {"code": code}, format="json", HTTP_IDEMPOTENCY_KEY="u1"
    )
    again = api.post(
        "/api/v1/loyalty/coupons/redeem/", {"code": code}, format="json", HTTP_IDEMPOTENCY_KEY="u2"
    )

    assert issued.status_code == 201
    assert issued.json()["issued"] == 1
    assert used.json()["status"] == "redeemed"
    assert again.status_code == 409


def test_api_events_follow_a_cursor(funded, supervisor_a, api_client_for):
    from loyalty.ledger.expiry import points_expiry_notices_raise

    retailer_a, _b = funded
    points_expiry_notices_raise(as_of=datetime.date(2099, 12, 15))
    api = api_client_for(supervisor_a)

    response = api.get("/api/v1/loyalty/events/", {"kind": "points_expiring"})
    assert response.status_code == 200, response.content
    events = response.json()["results"]
    later = api.get("/api/v1/loyalty/events/", {"after": events[-1]["id"]}).json()["results"]

    assert [(e["retailer"], e["ref_date"], e["detail"]["points"]) for e in events] == [
        (retailer_a.pk, "2099-12-31", 1000)
    ]
    assert later == []


def test_the_schema_documents_the_loyalty_api(db, api_client_for, company_admin):
    schema = api_client_for(company_admin).get("/api/schema/", {"format": "json"}).json()
    assert {
        "/api/v1/loyalty/accounts/",
        "/api/v1/loyalty/entries/",
        "/api/v1/loyalty/rewards/",
        "/api/v1/loyalty/redemptions/",
        "/api/v1/loyalty/coupons/redeem/",
        "/api/v1/loyalty/referrals/",
        "/api/v1/loyalty/events/",
    } <= set(schema["paths"])


def test_setup_schedules_creates_the_loyalty_jobs(db):
    from django_celery_beat.models import PeriodicTask

    call_command("setup_schedules", stdout=open("/dev/null", "w"))  # noqa: SIM115
    tasks = dict(PeriodicTask.objects.filter(name__startswith="loyalty-").values_list("name", "task"))
    assert tasks == {
        "loyalty-points-expire": "loyalty.points_expire",
        "loyalty-award-catch-up": "loyalty.points_award_catch_up",
        "loyalty-level-recompute": "loyalty.level_recompute",
    }


def test_a_closed_shops_link_no_longer_opens(funded, client):
    from accounts.models import Retailer

    retailer_a, _b = funded
    Retailer.objects.filter(pk=retailer_a.pk).update(status=Retailer.Status.CLOSED)
    assert (
        client.get(reverse("loyalty:link", args=[retailer_link_token(retailer_id=retailer_a.pk)])).status_code
        == 404
    )


def test_the_nightly_expiry_forgets_month_old_idempotency_keys(db):
    from django.utils import timezone

    from core.idempotency import idempotent
    from core.models import IdempotencyKey
    from loyalty.tasks import points_expire_task

    idempotent(principal="user:1", key="old", endpoint="x", payload={}, run=lambda: (200, {}))
    idempotent(principal="user:1", key="new", endpoint="x", payload={}, run=lambda: (200, {}))
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - datetime.timedelta(days=31))

    result = points_expire_task.run()

    assert result["idempotency_keys_forgotten"] == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_every_loyalty_model_has_an_admin_page_and_the_ledger_is_read_only(
    funded, company_admin, client_for, lamp
):
    from django.apps import apps
    from django.contrib import admin

    client = client_for(company_admin)
    for model in apps.get_app_config("loyalty").get_models():
        assert model in admin.site._registry, model
        opts = model._meta
        response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert response.status_code == 200, opts.model_name
    entry = PointsEntry.objects.first()
    assert client.get(reverse("admin:loyalty_pointsentry_add")).status_code == 403
    response = client.post(reverse("admin:loyalty_pointsentry_change", args=[entry.pk]), {"points": 1})
    assert response.status_code == 403
    assert PointsEntry.objects.get(pk=entry.pk).points == 1000
