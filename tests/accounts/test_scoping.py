"""Who sees which retailers: one selector decides, and the pages, API, export, count, filter choices and admin
all follow it. Another territory's retailer answers 404 — indistinguishable from a missing one."""

import pytest
from django.urls import reverse

from accounts.models import ConsentEvent, Retailer, SensitiveAccess
from accounts.selectors import retailer_get, retailer_list, retailer_scope
from accounts.sensitive import sensitive_access_log_many
from tests.accounts.factories import RetailerFactory
from tests.users.factories import SupervisorFactory
from users.selectors import manager_scope, org_units_visible, route_scope

LIST_URL = "/retailers/"
COUNT_URL = "/retailers/count/"
EXPORT_URL = "/retailers/export.csv"
API_URL = "/api/v1/retailers/"


def api_ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def csv_text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


# --- the selector ------------------------------------------------------------------------------------------


def test_manager_scope_is_the_retailers_on_own_routes(two_territories, manager_a, manager_b):
    a, b = two_territories
    assert set(retailer_scope(user=manager_a)) == {a}
    assert set(retailer_scope(user=manager_b)) == {b}


def test_supervisor_scope_is_own_county_subtree(two_territories, supervisor_a, county_a):
    a, _b = two_territories
    # another department of the same county is inside the supervisor's subtree
    same_county = RetailerFactory(route__org_unit__parent=county_a)
    assert set(retailer_scope(user=supervisor_a)) == {a, same_county}


def test_company_admin_and_company_level_integration_see_every_retailer(
    two_territories, company_admin, integration_user
):
    assert set(retailer_scope(user=company_admin)) == set(two_territories)
    assert set(retailer_scope(user=integration_user)) == set(two_territories)


def test_inactive_login_sees_nothing(two_territories, manager_a, company_admin):
    for user in (manager_a, company_admin):
        user.is_active = False
        user.save(update_fields=["is_active"])
        assert not retailer_scope(user=user).exists()


def test_supervisor_without_org_unit_sees_nothing(two_territories):
    loose = SupervisorFactory(org_unit=None)
    assert not retailer_scope(user=loose).exists()


def test_retailer_get_answers_404_outside_the_territory(two_territories, manager_a):
    from django.http import Http404

    a, b = two_territories
    assert retailer_get(user=manager_a, retailer_id=a.pk) == a
    with pytest.raises(Http404):
        retailer_get(user=manager_a, retailer_id=b.pk)


def test_retailer_list_filters_cannot_widen_the_scope(two_territories, manager_a, route_b):
    b = two_territories[1]
    assert b not in retailer_list(user=manager_a, filters={"route": route_b.pk})
    assert b not in retailer_list(user=manager_a, filters={"q": b.shop_name})


def test_choice_selectors_offer_only_the_users_territory(
    two_territories, manager_a, supervisor_a, route_a, route_b, manager_b, dept_a, dept_b
):
    assert set(route_scope(user=manager_a)) == {route_a}
    assert set(manager_scope(user=manager_a)) == {manager_a}
    assert set(org_units_visible(user=manager_a)) == {dept_a}
    assert route_b not in route_scope(user=supervisor_a)
    assert manager_b not in manager_scope(user=supervisor_a)
    assert dept_b not in org_units_visible(user=supervisor_a)


def test_choice_selectors_offer_nothing_to_an_inactive_login(manager_a, route_a):
    manager_a.is_active = False
    manager_a.save(update_fields=["is_active"])
    assert not route_scope(user=manager_a).exists()
    assert not manager_scope(user=manager_a).exists()
    assert not org_units_visible(user=manager_a).exists()


# --- the browser pages -------------------------------------------------------------------------------------


def test_list_page_shows_own_retailers_only(two_territories, manager_a, client_for):
    a, b = two_territories
    response = client_for(manager_a).get(LIST_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert a.shop_name in html
    assert b.shop_name not in html
    assert b.licence_no not in html


def test_list_page_filter_choices_hold_only_own_territory(two_territories, manager_a, client_for):
    html = client_for(manager_a).get(LIST_URL).content.decode()
    assert "LC-A01" in html  # own route in the route dropdown
    assert "王经理甲" in html
    # nothing of county B: not its route, manager, departments or county
    for text in ("JX-B01", "李经理乙", "涧西"):
        assert text not in html


def test_search_does_not_find_another_managers_retailer(two_territories, manager_a, client_for):
    a, b = two_territories
    client = client_for(manager_a)
    for term in (b.shop_name, b.licence_no, b.mobile, b.customer_code):
        html = client.get(LIST_URL, {"q": term}).content.decode()
        # the search box echoes the term; the results must not hold the retailer
        assert b.get_absolute_url() not in html, term
        assert "没有符合条件的客户" in html, term
    assert a.get_absolute_url() in client.get(LIST_URL, {"q": a.licence_no}).content.decode()


def test_list_page_filtered_by_another_managers_route_shows_nothing(
    two_territories, manager_a, route_b, manager_b, client_for
):
    b = two_territories[1]
    client = client_for(manager_a)
    for params in ({"route": route_b.pk}, {"manager": manager_b.pk}, {"org_unit": route_b.org_unit_id}):
        response = client.get(LIST_URL, params)
        assert response.status_code == 200
        assert b.shop_name not in response.content.decode()


def test_count_counts_own_retailers_only(two_territories, manager_a, client_for):
    b = two_territories[1]
    client = client_for(manager_a)
    assert client.get(COUNT_URL).content.decode() == "共 1 家"
    assert client.get(COUNT_URL, {"q": b.shop_name}).content.decode() == "共 0 家"


def test_count_filtered_by_another_managers_route_reveals_nothing(
    two_territories, manager_a, route_b, client_for
):
    text = client_for(manager_a).get(COUNT_URL, {"route": route_b.pk}).content.decode()
    assert "共 1" not in text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/retailers/{pk}/"),
        ("get", "/retailers/{pk}/edit/"),
        ("post", "/retailers/{pk}/edit/"),
        ("post", "/retailers/{pk}/reveal/mobile/"),
        ("post", "/retailers/{pk}/consent/"),
    ],
)
def test_another_territorys_retailer_page_answers_404(two_territories, manager_a, client_for, method, path):
    b = two_territories[1]
    before = Retailer.objects.values().get(pk=b.pk)
    response = getattr(client_for(manager_a), method)(
        path.format(pk=b.pk), {"channel": "sms", "granted": "1", "source": "走访", "tier": 1}
    )
    assert response.status_code == 404
    assert b.shop_name not in response.content.decode()
    assert Retailer.objects.values().get(pk=b.pk) == before
    assert not SensitiveAccess.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_missing_retailer_answers_the_same_404(two_territories, manager_a, client_for):
    assert client_for(manager_a).get("/retailers/999999999/").status_code == 404


def test_export_holds_only_the_users_territory(two_territories, supervisor_a, client_for):
    a, b = two_territories
    response = client_for(supervisor_a).get(EXPORT_URL)
    assert response.status_code == 200
    text = csv_text(response)
    assert a.licence_no in text
    assert b.licence_no not in text


def test_export_filtered_by_another_territorys_route_is_refused(
    two_territories, supervisor_a, route_b, client_for
):
    response = client_for(supervisor_a).get(EXPORT_URL, {"route": route_b.pk})
    assert response.status_code == 400
    assert two_territories[1].licence_no not in response.content.decode()


def test_export_search_for_another_territorys_retailer_is_empty(two_territories, supervisor_a, client_for):
    b = two_territories[1]
    text = csv_text(client_for(supervisor_a).get(EXPORT_URL, {"q": b.licence_no}))
    assert b.licence_no not in text
    assert len(text.strip().splitlines()) == 1  # the header only


def test_manager_may_not_export(two_territories, manager_a, client_for):
    assert client_for(manager_a).get(EXPORT_URL).status_code == 403


def test_inactive_login_is_sent_to_the_login_page(two_territories, manager_a, client_for):
    client = client_for(manager_a)
    manager_a.is_active = False
    manager_a.save(update_fields=["is_active"])
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_supervisor_list_page_shows_own_county_only(two_territories, supervisor_a, client_for):
    a, b = two_territories
    html = client_for(supervisor_a).get(LIST_URL).content.decode()
    assert a.shop_name in html
    assert b.shop_name not in html


def test_company_admin_list_page_shows_every_county(two_territories, company_admin, client_for):
    html = client_for(company_admin).get(LIST_URL).content.decode()
    for retailer in two_territories:
        assert retailer.shop_name in html


# --- the API -----------------------------------------------------------------------------------------------


def test_api_list_holds_own_retailers_only(two_territories, manager_a, api_client_for):
    a, _b = two_territories
    assert api_ids(api_client_for(manager_a).get(API_URL)) == {a.pk}


@pytest.mark.parametrize(
    ("user", "expected"),
    [("supervisor_a", {"a"}), ("company_admin", {"a", "b"}), ("integration_user", {"a", "b"})],
)
def test_api_list_follows_each_roles_scope(request, two_territories, api_client_for, user, expected):
    by_name = {"a": two_territories[0].pk, "b": two_territories[1].pk}
    client = api_client_for(request.getfixturevalue(user))
    assert api_ids(client.get(API_URL)) == {by_name[n] for n in expected}


@pytest.mark.parametrize("method", ["get", "patch", "put"])
def test_api_answers_404_for_another_territorys_retailer(two_territories, manager_a, api_client_for, method):
    b = two_territories[1]
    before = Retailer.objects.values().get(pk=b.pk)
    body = (
        {} if method == "get" else {"tier": 1, "shop_name": "改名"}
    )  # a GET's data would be query parameters
    response = getattr(api_client_for(manager_a), method)(f"{API_URL}{b.pk}/", body, format="json")
    assert response.status_code == 404
    assert b.shop_name not in response.content.decode()
    assert Retailer.objects.values().get(pk=b.pk) == before


def test_api_filters_naming_another_territory_leak_nothing(
    two_territories, manager_a, route_b, manager_b, dept_b, api_client_for
):
    b = two_territories[1]
    client = api_client_for(manager_a)
    for params in ({"route": route_b.pk}, {"manager": manager_b.pk}, {"org_unit": dept_b.pk}):
        response = client.get(API_URL, params)
        assert response.status_code == 400, params  # a filter value outside the territory is not a choice
        assert b.shop_name not in response.content.decode()


def test_api_search_does_not_find_another_territorys_retailer(two_territories, manager_a, api_client_for):
    b = two_territories[1]
    assert api_ids(api_client_for(manager_a).get(API_URL, {"q": b.licence_no})) == set()


def test_api_cannot_create_on_another_managers_route(two_territories, manager_a, route_b, api_client_for):
    from tests.accounts.factories import retailer_data

    body = retailer_data(route=route_b)
    body.update(route=route_b.pk, org_unit=route_b.org_unit_id)
    count = Retailer.objects.count()
    response = api_client_for(manager_a).post(API_URL, body, format="json")
    assert response.status_code == 400
    assert "route" in response.json()
    assert Retailer.objects.count() == count


def test_api_with_an_inactive_token_is_refused(two_territories, manager_a, token_client_for):
    client = token_client_for(manager_a)
    assert client.get(API_URL).status_code == 200
    manager_a.is_active = False
    manager_a.save(update_fields=["is_active"])
    assert client.get(API_URL).status_code == 401  # the token no longer authenticates anyone


# --- the admin ---------------------------------------------------------------------------------------------


@pytest.fixture
def staff_supervisor(supervisor_a):
    supervisor_a.is_staff = True
    supervisor_a.save(update_fields=["is_staff"])
    return supervisor_a


def test_admin_changelist_holds_own_county_only(two_territories, staff_supervisor, client_for):
    a, b = two_territories
    response = client_for(staff_supervisor).get("/admin/accounts/retailer/")
    assert response.status_code == 200
    html = response.content.decode()
    assert a.shop_name in html
    assert b.shop_name not in html


def test_admin_search_does_not_find_another_territorys_retailer(
    two_territories, staff_supervisor, client_for
):
    b = two_territories[1]
    html = client_for(staff_supervisor).get("/admin/accounts/retailer/", {"q": b.licence_no}).content.decode()
    assert b.shop_name not in html


@pytest.mark.parametrize("view", ["change", "history"])
def test_admin_pages_of_another_territorys_retailer_do_not_show_it(
    two_territories, staff_supervisor, client_for, view
):
    b = two_territories[1]
    response = client_for(staff_supervisor).get(f"/admin/accounts/retailer/{b.pk}/{view}/")
    assert response.status_code == 404
    assert b.shop_name not in response.content.decode()
    assert b.licence_no not in response.content.decode()


def test_admin_post_to_another_territorys_retailer_changes_nothing(
    two_territories, staff_supervisor, client_for
):
    b = two_territories[1]
    before = Retailer.objects.values().get(pk=b.pk)
    response = client_for(staff_supervisor).post(
        f"/admin/accounts/retailer/{b.pk}/change/", {"shop_name": "改名", "tier": 1}
    )
    assert response.status_code == 404
    assert Retailer.objects.values().get(pk=b.pk) == before


def test_admin_bulk_action_cannot_touch_another_territory(two_territories, staff_supervisor, client_for):
    a, b = two_territories
    response = client_for(staff_supervisor).post(
        "/admin/accounts/retailer/",
        {"action": "mark_closed", "_selected_action": [a.pk, b.pk], "index": 0},
    )
    assert response.status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == Retailer.Status.CLOSED
    assert b.status == Retailer.Status.ACTIVE


def test_admin_access_log_holds_own_county_only(two_territories, staff_supervisor, company_admin, client_for):
    a, b = two_territories
    sensitive_access_log_many(user=company_admin, retailer_ids=[a.pk, b.pk], fields=["mobile"], via="page")
    html = client_for(staff_supervisor).get("/admin/accounts/sensitiveaccess/").content.decode()
    assert a.shop_name in html
    assert b.shop_name not in html


@pytest.mark.parametrize(
    ("url", "own", "other"),
    [
        ("/admin/users/user/", "manager_a", "manager_b"),
        ("/admin/users/route/", "LC-A01", "JX-B01"),
        ("/admin/users/orgunit/", "老城营销一部", "涧西营销一部"),
    ],
)
def test_admin_staff_routes_and_units_hold_own_county_only(
    two_territories, staff_supervisor, client_for, url, own, other
):
    response = client_for(staff_supervisor).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert own in html
    assert other not in html


def test_company_admin_admin_changelist_holds_every_county(two_territories, company_admin, client_for):
    html = client_for(company_admin).get("/admin/accounts/retailer/").content.decode()
    for retailer in two_territories:
        assert retailer.shop_name in html
