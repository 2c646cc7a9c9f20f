"""Django admin for retailers: writes go through the services, with the same validation as every other path."""

from accounts.models import Retailer, RetailerEvent
from tests.accounts.factories import form_data, new_retailer_form

CHANGELIST = "/admin/accounts/retailer/"


def admin_post(retailer_fields: dict) -> dict:
    return {**retailer_fields, "_save": "保存"}


def test_admin_edit_saves_through_the_service_and_is_recorded(retailer_a, company_admin, client_for):
    data = form_data(retailer_a, with_sensitive=True, scale="3", mobile="13900007777")
    response = client_for(company_admin).post(f"{CHANGELIST}{retailer_a.pk}/change/", admin_post(data))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    retailer_a.refresh_from_db()
    assert retailer_a.scale == "3"
    assert retailer_a.mobile == "13900007777"
    event = RetailerEvent.objects.filter(pgh_obj_id=retailer_a.pk, pgh_label="updated").get()
    assert event.pgh_context.metadata.get("user") == company_admin.pk


def test_admin_edit_with_a_bad_licence_shows_the_error_and_changes_nothing(
    retailer_a, company_admin, client_for
):
    before = Retailer.objects.values().get(pk=retailer_a.pk)
    data = form_data(retailer_a, with_sensitive=True, licence_no="410305100009", tier=22)
    response = client_for(company_admin).post(f"{CHANGELIST}{retailer_a.pk}/change/", admin_post(data))
    assert response.status_code == 200
    assert "licence_no" in response.context["adminform"].form.errors
    assert Retailer.objects.values().get(pk=retailer_a.pk) == before


def test_admin_add_creates_through_the_service(route_a, company_admin, client_for):
    data = new_retailer_form(
        route_a, shop_name="后台新建便利店", market_type="X", business_format="Z", scale="3"
    )
    response = client_for(company_admin).post(f"{CHANGELIST}add/", admin_post(data))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    retailer = Retailer.objects.get(shop_name="后台新建便利店")
    assert retailer.class_code == "XZ3"


def test_admin_add_with_a_bad_mobile_saves_nothing(route_a, company_admin, client_for):
    data = new_retailer_form(route_a, mobile="010-12345678")
    response = client_for(company_admin).post(f"{CHANGELIST}add/", admin_post(data))
    assert response.status_code == 200
    assert "mobile" in response.context["adminform"].form.errors
    assert not Retailer.objects.exists()


def test_admin_status_action_changes_the_selected_retailers(retailer_a, route_a, company_admin, client_for):
    from tests.accounts.factories import RetailerFactory

    other = RetailerFactory(route=route_a)
    response = client_for(company_admin).post(
        CHANGELIST, {"action": "mark_suspended", "_selected_action": [retailer_a.pk], "index": 0}
    )
    assert response.status_code == 302
    assert Retailer.objects.get(pk=retailer_a.pk).status == "suspended"
    assert Retailer.objects.get(pk=other.pk).status == "active"


def test_admin_search_finds_by_licence_and_shop_name(retailer_a, route_a, company_admin, client_for):
    from tests.accounts.factories import RetailerFactory

    other = RetailerFactory(route=route_a)
    client = client_for(company_admin)
    for term in (retailer_a.licence_no, "甲号"):
        html = client.get(CHANGELIST, {"q": term}).content.decode()
        assert retailer_a.shop_name in html
        assert other.shop_name not in html


def test_consent_and_access_logs_are_read_only_in_admin(retailer_a, company_admin, client_for):
    client = client_for(company_admin)
    for model in ("consentevent", "sensitiveaccess", "retailerexport"):
        assert client.get(f"/admin/accounts/{model}/").status_code == 200
        assert client.get(f"/admin/accounts/{model}/add/").status_code == 403
