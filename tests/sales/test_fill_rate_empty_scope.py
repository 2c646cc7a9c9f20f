"""The fill-rate report of a user whose territory is empty is an empty report, not a crash."""

import pytest

from sales.allocation.services import allocation_plan_publish
from tests.sales.allocation_cases import WED
from tests.users.factories import SupervisorFactory

pytestmark = pytest.mark.django_db


def test_fill_rate_of_a_user_without_a_territory_is_empty(
    client_for, api_client_for, supervisor_a, draft, county
):
    allocation_plan_publish(actor=supervisor_a, plan=draft, override_reason="x")
    nowhere = SupervisorFactory(org_unit=None)  # a supervisor not yet placed in the org tree sees no retailer
    response = client_for(nowhere).get(f"/sales/allocation/fill-rate/?cycle={WED}")
    assert response.status_code == 200
    response = api_client_for(nowhere).get(f"/api/v1/allocation/fill-rate/?day={WED}")
    assert response.status_code == 200
    assert response.json() == []
