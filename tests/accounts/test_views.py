"""The browser pages that write: create and edit go through the services, show errors, and refuse stale edits."""

import pytest

from accounts.models import Retailer
from accounts.services import retailer_update
from crm.roles import ROLE_PERMISSIONS
from tests.accounts.factories import RetailerFactory, form_data, new_retailer_form
from tests.users.factories import IntegrationFactory
from users.models import User


def test_manager_creates_a_retailer_on_own_route(route_a, manager_a, client_for):
    response = client_for(manager_a).post(
        "/retailers/new/", new_retailer_form(route_a, shop_name="新开便利店")
    )
    assert response.status_code == 302
    retailer = Retailer.objects.get(shop_name="新开便利店")
    assert response["Location"] == retailer.get_absolute_url()
    assert retailer.route == route_a


def test_create_page_with_a_bad_licence_shows_the_error_and_saves_nothing(route_a, manager_a, client_for):
    response = client_for(manager_a).post(
        "/retailers/new/", new_retailer_form(route_a, licence_no="410305100001")
    )
    assert response.status_code == 400
    assert "许可证号前 6 位 410305" in response.content.decode()
    assert not Retailer.objects.exists()


def test_create_page_offers_only_own_routes(route_a, route_b, manager_a, client_for):
    html = client_for(manager_a).get("/retailers/new/").content.decode()
    assert route_a.code in html
    assert route_b.code not in html


def test_create_page_cannot_use_another_managers_route(route_a, route_b, manager_a, client_for):
    response = client_for(manager_a).post("/retailers/new/", new_retailer_form(route_b))
    assert response.status_code == 400
    assert not Retailer.objects.exists()


def test_edit_page_saves_a_change(retailer_a, manager_a, client_for):
    response = client_for(manager_a).post(
        f"/retailers/{retailer_a.pk}/edit/", form_data(retailer_a, scale="3", shop_name="老城甲号超市")
    )
    assert response.status_code == 302
    retailer_a.refresh_from_db()
    assert (retailer_a.scale, retailer_a.shop_name) == ("3", "老城甲号超市")


def test_manager_edit_keeps_the_id_and_bank_account_the_form_did_not_show(retailer_a, manager_a, client_for):
    html = client_for(manager_a).get(f"/retailers/{retailer_a.pk}/edit/").content.decode()
    assert retailer_a.owner_id_number not in html
    assert retailer_a.bank_account not in html
    client_for(manager_a).post(f"/retailers/{retailer_a.pk}/edit/", form_data(retailer_a, shop_area_m2=16))
    retailer_a.refresh_from_db()
    assert retailer_a.shop_area_m2 == 16
    assert retailer_a.owner_id_number == "410302198001010019"
    assert retailer_a.bank_account == "6222020200112233445"


def test_edit_page_with_bad_input_shows_errors_and_changes_nothing(retailer_a, manager_a, client_for):
    before = Retailer.objects.values().get(pk=retailer_a.pk)
    response = client_for(manager_a).post(
        f"/retailers/{retailer_a.pk}/edit/", form_data(retailer_a, shop_area_m2=0, mobile="12345")
    )
    assert response.status_code == 400
    assert Retailer.objects.values().get(pk=retailer_a.pk) == before


def test_edit_page_refuses_a_stale_edit_with_409(retailer_a, manager_a, client_for):
    stale = form_data(retailer_a, shop_area_m2=17)
    retailer_update(
        actor=None, retailer=retailer_a, data={"shop_area_m2": 18}
    )  # someone else saves meanwhile
    response = client_for(manager_a).post(f"/retailers/{retailer_a.pk}/edit/", stale)
    assert response.status_code == 409
    retailer_a.refresh_from_db()
    assert retailer_a.shop_area_m2 == 18


@pytest.fixture
def read_only_user(monkeypatch, company):
    """An integration login whose role may read retailers but not add or change them."""
    perms = ROLE_PERMISSIONS[User.Role.INTEGRATION] - {"accounts.add_retailer", "accounts.change_retailer"}
    monkeypatch.setitem(ROLE_PERMISSIONS, User.Role.INTEGRATION, perms)
    return IntegrationFactory(org_unit=company)


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", "/retailers/new/"), ("get", "/retailers/{pk}/edit/"), ("post", "/retailers/{pk}/edit/")],
)
def test_user_without_add_or_change_permission_is_refused(
    retailer_a, read_only_user, client_for, method, url
):
    before = Retailer.objects.values().get(pk=retailer_a.pk)
    response = getattr(client_for(read_only_user), method)(
        url.format(pk=retailer_a.pk), form_data(retailer_a, tier=1)
    )
    assert response.status_code == 403
    assert Retailer.objects.values().get(pk=retailer_a.pk) == before


def test_pages_need_a_login(retailer_a, client):
    for url in ("/", "/retailers/", f"/retailers/{retailer_a.pk}/", "/retailers/new/", "/retailers/count/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url


def test_list_page_pages_by_keyset(route_a, manager_a, client_for):
    retailers = [RetailerFactory(route=route_a) for _ in range(52)]
    client = client_for(manager_a)
    first = client.get("/retailers/")
    html = first.content.decode()
    assert 'id="next-page"' in html
    newest_first = sorted(retailers, key=lambda r: -r.pk)
    assert newest_first[0].get_absolute_url() in html
    assert newest_first[-1].get_absolute_url() not in html
    second = client.get("/retailers/", {"after": newest_first[49].pk}).content.decode()
    assert newest_first[50].get_absolute_url() in second
    assert newest_first[51].get_absolute_url() in second
    assert 'id="next-page"' not in second


def test_home_dashboard_counts_own_territory(two_territories, integration_user, county_a, client_for):
    # the territory overview is the integration login's home (a manager's is the workspace, a supervisor's the
    # cockpit: tests/workspace, tests/cockpit)
    integration_user.org_unit = county_a
    integration_user.save(update_fields=["org_unit"])
    response = client_for(integration_user).get("/")
    assert response.status_code == 200
    assert response.context["stats"]["total"] == 1


@pytest.mark.parametrize(
    ("field", "typed", "stored"),
    [
        ("mobile", "+86 139 0000 7777", "13900007777"),
        ("mobile", "0086-13900007777", "13900007777"),
        ("licence_no", "410302 1 00077", "410302100077"),
        ("licence_no", "410302-1-00077", "410302100077"),
    ],
)
def test_edit_page_accepts_the_written_forms_its_help_text_allows(
    retailer_a, manager_a, client_for, field, typed, stored
):
    response = client_for(manager_a).post(
        f"/retailers/{retailer_a.pk}/edit/", form_data(retailer_a, **{field: typed})
    )
    assert response.status_code == 302, response.context["form"].errors
    retailer_a.refresh_from_db()
    assert getattr(retailer_a, field) == stored
