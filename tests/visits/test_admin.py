"""Every field-work model has an admin page with its filters and search; the rule action calls the service."""

import datetime

import pytest

from tests.visits.factories import CultivationProgrammeFactory
from visits.models import CultivationTarget

pytestmark = pytest.mark.django_db

MODELS = (
    "visitpolicy",
    "visitplan",
    "visit",
    "visitphoto",
    "visitstockcheck",
    "cultivationprogramme",
    "cultivationtarget",
    "coverageexport",
    "storescoreitem",
)


@pytest.mark.parametrize("model", MODELS)
def test_admin_changelist_with_search_opens(client_for, company_admin, retailer_a, record, manager_a, model):
    record(manager_a, retailer_a, notes="价签齐全")
    response = client_for(company_admin).get(f"/admin/visits/{model}/", {"q": "老城"})
    assert response.status_code == 200


def test_admin_rule_action_adds_targets(client_for, company_admin, products, place_order, retailer_a, dept_a):
    programme = CultivationProgrammeFactory(
        name="天叶培育",
        product=products["HJY"],
        org_unit=dept_a,
        starts_on=datetime.date(2026, 11, 2),
        ends_on=datetime.date(2026, 11, 29),
        goal_selling_retailers=1,
        goal_sell_through_pct=100,
        created_by=company_admin,
    )
    place_order(retailer_a, {"YX": 2}, datetime.date(2026, 10, 20))
    response = client_for(company_admin).post(
        "/admin/visits/cultivationprogramme/",
        {"action": "targets_by_rule", "_selected_action": [programme.pk]},
        follow=True,
    )
    assert "新增 1 户目标客户" in response.content.decode()
    assert CultivationTarget.objects.get().retailer == retailer_a
