"""GET /api/v1/workspace/: the page's sections as data, for the customer manager only, from the page's own
selector — the caller's items and nobody else's, the phone masked as on the page, no more queries than the page's
selector makes; other roles are answered 403 (their home is the cockpit or the system health)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import SensitiveAccess
from users.models import User
from workspace.selectors import manager_workspace

pytestmark = pytest.mark.django_db
URL = "/api/v1/workspace/"


def test_a_manager_gets_their_own_sections_with_the_phone_masked(routes, manager_a, token_client_for):
    shop = routes["shop"]
    response = token_client_for(manager_a).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert (body["visits"]["done_today"], body["visits"]["planned_today"]) == (1, 2)
    assert shop["b"].pk not in [v["retailer"] for v in body["visits"]["next"]]
    assert [c["id"] for c in body["complaints"]] == [routes["overdue"].pk, routes["on_time"].pk]
    assert [c["overdue"] for c in body["complaints"]] == [True, False]
    assert [(c["retailer"], c["rating"], c["complaint"]) for c in body["callbacks"]] == [
        (shop["e"].pk, 1, routes["low"].pk)
    ]
    assert body["callbacks"][0]["mobile"] == "137****0101"
    assert shop["e"].mobile not in response.content.decode()
    assert [r["retailer"] for r in body["licences"]["expiring"]] == [shop["d"].pk, shop["c"].pk]
    assert [r["retailer"] for r in body["licences"]["expired"]] == [shop["b"].pk, shop["e"].pk, shop["f"].pk]
    assert (body["licences"]["expiring_count"], body["licences"]["expired_count"]) == (2, 3)
    assert [r["retailer"] for r in body["at_risk"]] == [shop["c"].pk, shop["a"].pk]
    assert body["approvals"] == {"redemptions": [], "tier_changes": []}
    assert SensitiveAccess.objects.count() == 0  # nothing was revealed


def test_another_managers_items_are_absent(routes, manager_b, token_client_for):
    body = token_client_for(manager_b).get(URL).json()
    own = routes["other"]["x"].pk
    seen = {v["retailer"] for v in body["visits"]["next"]}
    seen |= {r["retailer"] for r in body["complaints"] + body["callbacks"] + body["at_risk"]}
    seen |= {r["retailer"] for r in body["licences"]["expiring"] + body["licences"]["expired"]}
    assert seen == {own}


def test_no_more_queries_than_the_pages_selector(routes, manager_a):
    with CaptureQueriesContext(connection) as page:
        manager_workspace(manager=User.objects.get(pk=manager_a.pk))
    client = APIClient()
    client.force_authenticate(user=User.objects.get(pk=manager_a.pk))
    with CaptureQueriesContext(connection) as api:
        assert client.get(URL).status_code == 200
    assert len(api) <= len(page), [q["sql"][:120] for q in api.captured_queries]


@pytest.mark.parametrize("role", ["supervisor_a", "company_admin", "integration_user"])
def test_other_roles_are_refused(role, request, token_client_for, retailer_a):
    response = token_client_for(request.getfixturevalue(role)).get(URL)
    assert response.status_code == 403
    assert "客户经理" in response.json()["detail"]
