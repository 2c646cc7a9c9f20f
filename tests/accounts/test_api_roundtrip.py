"""A GET followed by a PUT of the same body succeeds and changes nothing, for every role: masked values (the ID
card, the bank account, the mobile for who may not see them) sent back as they were shown mean "unchanged"."""

import pytest

from accounts.models import Retailer
from core.masking import PERSONAL_FIELDS
from users.models import User

API_URL = "/api/v1/retailers/"
ROLE_FIXTURES = {
    User.Role.ADMIN: "company_admin",
    User.Role.SUPERVISOR: "supervisor_a",
    User.Role.MANAGER: "manager_a",
    User.Role.INTEGRATION: "integration_user",
}


def test_every_role_is_covered():
    assert set(ROLE_FIXTURES) == set(User.Role.values)


@pytest.mark.parametrize("role", sorted(User.Role.values))
def test_get_then_put_of_the_same_body_is_200_and_changes_nothing(
    request, role, retailer_a, token_client_for
):
    client = token_client_for(request.getfixturevalue(ROLE_FIXTURES[role]))
    url = f"{API_URL}{retailer_a.pk}/"
    row_before = Retailer.objects.values().get(pk=retailer_a.pk)
    shown = client.get(url)
    assert shown.status_code == 200
    body = shown.json()
    response = client.put(url, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == body
    assert client.get(url).json() == body
    assert Retailer.objects.values().get(pk=retailer_a.pk) == row_before


@pytest.mark.parametrize("role", sorted(User.Role.values))
def test_a_masked_field_is_read_only_for_who_sees_it_masked(request, role, retailer_a, token_client_for):
    user = request.getfixturevalue(ROLE_FIXTURES[role])
    client = token_client_for(user)
    url = f"{API_URL}{retailer_a.pk}/"
    body = client.get(url).json()
    row_before = Retailer.objects.values().get(pk=retailer_a.pk)
    new_values = {"owner_id_number": "410302198001010035", "bank_account": "6222020200112233000"}
    for name, value in new_values.items():
        assert "*" in body[name]  # masked for every role (a full value is the logged reveal)
        may_write = user.has_perm("accounts.view_sensitive_identity")
        response = client.patch(url, {name: value}, format="json")
        if not may_write:
            assert response.status_code == 400
            assert "原样发回掩码值表示不修改" in response.json()[name][0]
            assert Retailer.objects.values().get(pk=retailer_a.pk) == row_before
        else:
            assert response.status_code == 200, response.content
            assert getattr(Retailer.objects.get(pk=retailer_a.pk), name) == value
    assert set(PERSONAL_FIELDS) == {"mobile", "owner_id_number", "bank_account"}
