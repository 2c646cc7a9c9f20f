"""The admin of company-wide data is the company administrators': a county's staff may not rewrite what every
county shares, and what they may read there is their own territory's."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from campaigns.models import InboundReply

# Fields that tie a row to a territory (a county's staff may write such rows: the admin and the services scope them).
TERRITORY_FIELDS = {"org_unit", "retailer", "route"}
# Company-wide models a county's staff may still write, each with the reason.
SHARED_BUT_WRITABLE = {
    # a library of question sets: supervisors author them; who is asked is decided by the survey (per org unit)
    "feedback.Questionnaire": "shared question sets, asked through surveys scoped per org unit",
}


@pytest.fixture
def county_staff(manager_a, supervisor_a, integration_user):
    return [manager_a, supervisor_a, integration_user]


def test_company_wide_models_are_written_in_the_admin_only_by_company_administrators(county_staff):
    request = RequestFactory().get("/admin/")
    writable = []
    for model, model_admin in admin.site._registry.items():
        fields = {f.name for f in model._meta.get_fields()}
        if fields & TERRITORY_FIELDS or model._meta.label in SHARED_BUT_WRITABLE:
            continue
        for user in county_staff:
            request.user = user
            if model_admin.has_add_permission(request) or model_admin.has_change_permission(request):
                writable.append((model._meta.label, user.username))
    assert writable == []


@pytest.fixture
def staff_supervisor(supervisor_a):
    supervisor_a.is_staff = True  # a supervisor given the admin, as the demo's are
    supervisor_a.save(update_fields=["is_staff"])
    return supervisor_a


def test_reward_catalogue_admin_refuses_a_county_supervisor(staff_supervisor, company_admin, client_for):
    supervisor_a = staff_supervisor
    assert client_for(supervisor_a).get(reverse("admin:loyalty_reward_add")).status_code == 403
    assert client_for(company_admin).get(reverse("admin:loyalty_reward_add")).status_code == 200


def test_sms_replies_in_the_admin_are_scoped_to_the_callers_territory(
    two_territories, staff_supervisor, manager_a, company_admin, client_for
):
    supervisor_a = staff_supervisor
    manager_a.is_staff = True
    manager_a.save(update_fields=["is_staff"])
    retailer_a, retailer_b = two_territories
    own = InboundReply.objects.create(from_number=retailer_a.mobile, text="好的")
    other = InboundReply.objects.create(from_number=retailer_b.mobile, text="退订")
    unknown = InboundReply.objects.create(from_number="13700000000", text="谁")
    url = reverse("admin:campaigns_inboundreply_changelist")

    response = client_for(supervisor_a).get(url)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [own]
    response = client_for(company_admin).get(url)
    assert set(response.context["cl"].result_list) == {own, other, unknown}
    assert client_for(manager_a).get(url).status_code == 403
    assert (
        client_for(supervisor_a)
        .get(reverse("admin:campaigns_inboundreply_change", args=[other.pk]))
        .status_code
        == 404  # outside the user's admin list: 404 as on every other path (core.admin.ModelAdmin)
    )
