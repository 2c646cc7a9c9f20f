"""A NUL character can never reach PostgreSQL text: such requests are a 400 before any view runs."""

import json

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/retailers/?q=a%00b",
        "/retailers/?q=%00",
        "/api/v1/complaints/?status%00=new",
        "/service/complaints/?q=x%00",
    ],
)
def test_a_nul_in_the_query_is_refused(path, client_for, supervisor_a):
    response = client_for(supervisor_a).get(path)
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]


def test_a_nul_in_a_json_or_form_body_is_refused_and_changes_nothing(
    api_client_for, supervisor_a, client_for
):
    from accounts.models import Retailer

    before = Retailer.objects.count()
    body = json.dumps({"shop_name": "坏\u0000店"})
    response = api_client_for(supervisor_a).generic(
        "POST", "/api/v1/retailers/", body, content_type="application/json"
    )
    assert response.status_code == 400
    form = client_for(supervisor_a).post(
        "/retailers/new/", "shop_name=%00", content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code == 400
    assert Retailer.objects.count() == before


def test_ordinary_requests_pass(client_for, supervisor_a):
    assert client_for(supervisor_a).get("/retailers/?q=老城").status_code == 200
