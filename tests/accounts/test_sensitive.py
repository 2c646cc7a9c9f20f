"""Personal data: phone, ID and bank account masked in every list, API response and export, for every role; a full
value is revealed one at a time to a role that may see it, and every unmasking and export is logged
(accounts.SensitiveAccess, accounts.RetailerExport). The enumerating tests are in test_personal_data_paths.py."""

import pytest

from accounts.models import RetailerExport, SensitiveAccess
from crm.roles import ROLE_PERMISSIONS
from tests.accounts.factories import RetailerFactory
from tests.users.factories import IntegrationFactory, SupervisorFactory
from users.models import User

API_URL = "/api/v1/retailers/"
CONTACT_PERM = "accounts.view_contact_details"
FULL_MOBILE = "13800001234"  # retailer_a's number (tests/conftest.py)
MASKED_MOBILE = "138****1234"
FULL_ID = "410302198001010019"
FULL_BANK = "6222020200112233445"


def csv_text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


@pytest.fixture
def role_without(monkeypatch):
    """Take one permission away from a role for this test (crm.roles keeps role permissions in code)."""

    def take(role: str, perm: str) -> None:
        assert perm in ROLE_PERMISSIONS[role]
        monkeypatch.setitem(ROLE_PERMISSIONS, role, ROLE_PERMISSIONS[role] - {perm})

    return take


@pytest.fixture
def no_contact_user(role_without, company):
    """An integration login whose role may not see full phone numbers."""
    role_without(User.Role.INTEGRATION, CONTACT_PERM)
    user = IntegrationFactory(org_unit=company)
    assert not user.has_perm(CONTACT_PERM)
    return user


@pytest.fixture
def no_contact_supervisor(role_without, county_a):
    """A supervisor who may export but not see full phone numbers."""
    role_without(User.Role.SUPERVISOR, CONTACT_PERM)
    user = SupervisorFactory(org_unit=county_a)
    assert user.has_perm("accounts.export_retailer")
    assert not user.has_perm(CONTACT_PERM)
    return user


# --- masking -----------------------------------------------------------------------------------------------


def test_list_page_masks_the_phone_for_a_user_without_contact_permission(
    retailer_a, no_contact_user, client_for
):
    html = client_for(no_contact_user).get("/retailers/").content.decode()
    assert MASKED_MOBILE in html
    assert FULL_MOBILE not in html


def test_list_page_never_prints_full_numbers_even_for_those_who_may_reveal(retailer_a, manager_a, client_for):
    html = client_for(manager_a).get("/retailers/").content.decode()
    assert MASKED_MOBILE in html
    assert FULL_MOBILE not in html
    assert not SensitiveAccess.objects.exists()


def test_portrait_masks_phone_id_and_bank_and_offers_reveal_by_permission(
    retailer_a, manager_a, no_contact_user, client_for
):
    reveal_url = f"/retailers/{retailer_a.pk}/reveal/mobile/"
    html = client_for(manager_a).get(retailer_a.get_absolute_url()).content.decode()
    for full in (FULL_MOBILE, FULL_ID, FULL_BANK):
        assert full not in html
    assert MASKED_MOBILE in html
    assert "*" * 14 + FULL_ID[-4:] in html
    assert reveal_url in html  # a manager may reveal the phone
    assert f"/retailers/{retailer_a.pk}/reveal/owner_id_number/" not in html  # but not the ID
    assert reveal_url not in client_for(no_contact_user).get(retailer_a.get_absolute_url()).content.decode()


def test_api_masks_the_phone_for_a_user_without_contact_permission(
    retailer_a, no_contact_user, api_client_for
):
    rows = api_client_for(no_contact_user).get(API_URL).json()["results"]
    assert [row["mobile"] for row in rows] == [MASKED_MOBILE]
    assert not SensitiveAccess.objects.exists()


def test_api_masks_phone_id_and_bank_for_a_manager_like_the_portrait(retailer_a, manager_a, api_client_for):
    row = api_client_for(manager_a).get(f"{API_URL}{retailer_a.pk}/").json()
    assert row["mobile"] == MASKED_MOBILE
    assert row["owner_id_number"] == "*" * 14 + FULL_ID[-4:]
    assert row["bank_account"] == "*" * (len(FULL_BANK) - 4) + FULL_BANK[-4:]
    assert not SensitiveAccess.objects.exists()


def test_api_edit_form_values_are_masked_in_responses_to_updates(retailer_a, manager_a, api_client_for):
    response = api_client_for(manager_a).patch(
        f"{API_URL}{retailer_a.pk}/", {"shop_area_m2": 11}, format="json"
    )
    assert response.status_code == 200
    assert FULL_ID not in response.content.decode()
    assert FULL_BANK not in response.content.decode()
    assert FULL_MOBILE not in response.content.decode()


def test_api_masks_id_and_bank_for_company_admin_too(retailer_a, company_admin, api_client_for):
    row = api_client_for(company_admin).get(f"{API_URL}{retailer_a.pk}/").json()
    assert (row["mobile"], row["owner_id_number"], row["bank_account"]) == (
        MASKED_MOBILE,
        "*" * 14 + FULL_ID[-4:],
        "*" * (len(FULL_BANK) - 4) + FULL_BANK[-4:],
    )


# --- the access log ----------------------------------------------------------------------------------------


def test_reveal_returns_the_full_number_and_logs_one_access(retailer_a, manager_a, client_for):
    response = client_for(manager_a).post(
        f"/retailers/{retailer_a.pk}/reveal/mobile/", REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 200
    assert FULL_MOBILE in response.content.decode()
    access = SensitiveAccess.objects.get()
    assert (access.user, access.retailer, access.field, access.via) == (
        manager_a,
        retailer_a,
        SensitiveAccess.Field.MOBILE,
        SensitiveAccess.Via.PAGE,
    )
    assert access.ip_address == "10.1.2.3"


def test_each_reveal_is_logged(retailer_a, manager_a, client_for):
    client = client_for(manager_a)
    for _ in range(3):
        client.post(f"/retailers/{retailer_a.pk}/reveal/mobile/")
    assert SensitiveAccess.objects.filter(user=manager_a, retailer=retailer_a).count() == 3


def test_reveal_without_permission_is_refused_and_logs_nothing(retailer_a, no_contact_user, client_for):
    response = client_for(no_contact_user).post(f"/retailers/{retailer_a.pk}/reveal/mobile/")
    assert response.status_code == 403
    assert FULL_MOBILE not in response.content.decode()
    assert not SensitiveAccess.objects.exists()


@pytest.mark.parametrize("field", ["owner_id_number", "bank_account"])
def test_manager_may_not_reveal_id_or_bank(retailer_a, manager_a, client_for, field):
    response = client_for(manager_a).post(f"/retailers/{retailer_a.pk}/reveal/{field}/")
    assert response.status_code == 403
    assert not SensitiveAccess.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("owner_id_number", FULL_ID), ("bank_account", FULL_BANK)])
def test_company_admin_reveals_id_and_bank_and_it_is_logged(
    retailer_a, company_admin, client_for, field, value
):
    response = client_for(company_admin).post(f"/retailers/{retailer_a.pk}/reveal/{field}/")
    assert response.status_code == 200
    assert value in response.content.decode()
    assert SensitiveAccess.objects.get().field == field


def test_reveal_of_an_unknown_field_answers_404(retailer_a, company_admin, client_for):
    assert client_for(company_admin).post(f"/retailers/{retailer_a.pk}/reveal/password/").status_code == 404
    assert not SensitiveAccess.objects.exists()


def test_reveal_needs_a_post(retailer_a, manager_a, client_for):
    assert client_for(manager_a).get(f"/retailers/{retailer_a.pk}/reveal/mobile/").status_code == 405
    assert not SensitiveAccess.objects.exists()


def test_api_list_unmasks_nothing_and_so_logs_nothing(retailer_a, route_a, manager_a, api_client_for):
    RetailerFactory(route=route_a)
    response = api_client_for(manager_a).get(API_URL)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
    assert FULL_MOBILE not in response.content.decode()
    assert not SensitiveAccess.objects.exists()


def test_api_error_responses_log_nothing(retailer_b, manager_a, api_client_for):
    assert api_client_for(manager_a).get(f"{API_URL}{retailer_b.pk}/").status_code == 404
    assert not SensitiveAccess.objects.exists()


# --- export ------------------------------------------------------------------------------------------------


def test_export_is_logged_with_its_filters_and_row_count(retailer_a, route_a, supervisor_a, client_for):
    RetailerFactory(route=route_a, tier=3)
    RetailerFactory(route=route_a, tier=25)
    response = client_for(supervisor_a).get("/retailers/export.csv", {"tier_min": "5", "after": "99"})
    assert response.status_code == 200
    lines = csv_text(response).strip().splitlines()
    export = RetailerExport.objects.get()
    assert export.user == supervisor_a
    assert export.filters == {"tier_min": ["5"]}
    assert export.row_count == 2 == len(lines) - 1
    assert export.unmasked is False
    assert "retailers-" in response["Content-Disposition"]
    assert f"-{export.pk}.csv" in response["Content-Disposition"]


def test_export_masks_phones_even_for_a_user_who_may_reveal_them(retailer_a, supervisor_a, client_for):
    assert supervisor_a.has_perm(CONTACT_PERM)
    text = csv_text(client_for(supervisor_a).get("/retailers/export.csv"))
    assert MASKED_MOBILE in text
    assert FULL_MOBILE not in text
    assert FULL_ID not in text
    assert FULL_BANK not in text
    assert RetailerExport.objects.get().unmasked is False


def test_export_masks_phones_for_a_user_without_contact_permission(
    retailer_a, no_contact_supervisor, client_for
):
    response = client_for(no_contact_supervisor).get("/retailers/export.csv")
    assert response.status_code == 200
    text = csv_text(response)
    assert MASKED_MOBILE in text
    assert FULL_MOBILE not in text
    export = RetailerExport.objects.get()
    assert export.unmasked is False
    assert export.row_count == 1


def test_export_starts_with_a_bom_and_chinese_headers(retailer_a, supervisor_a, client_for):
    body = b"".join(client_for(supervisor_a).get("/retailers/export.csv").streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig").splitlines()[0].startswith("客户编码,许可证号")


def test_refused_export_is_not_logged(retailer_a, manager_a, client_for):
    assert client_for(manager_a).get("/retailers/export.csv").status_code == 403
    assert not RetailerExport.objects.exists()


# --- admin -------------------------------------------------------------------------------------------------


def test_admin_changelist_masks_phones(retailer_a, company_admin, client_for):
    html = client_for(company_admin).get("/admin/accounts/retailer/").content.decode()
    assert MASKED_MOBILE in html
    assert FULL_MOBILE not in html


def test_admin_change_form_leaves_out_id_and_bank_for_a_supervisor(retailer_a, supervisor_a, client_for):
    supervisor_a.is_staff = True
    supervisor_a.save(update_fields=["is_staff"])
    response = client_for(supervisor_a).get(f"/admin/accounts/retailer/{retailer_a.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert FULL_ID not in html
    assert FULL_BANK not in html
    assert 'name="owner_id_number"' not in html
