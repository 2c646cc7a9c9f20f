"""A retailer's tier appeal (档位异议) from filing on its hub to the supervisor's decision, on the graded shops of
tests/segmentation/tier_cases.py: the case and its deadline, one open appeal per shop, who may decide, a change
through the engine's two-person path, an uphold kept in the tier history, and what the retailer reads."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import Retailer
from core.errors import ConflictError
from feedback.appeals.models import TierAppeal
from feedback.appeals.services import tier_appeal_decide, tier_appeal_file
from feedback.complaints.models import Complaint
from feedback.complaints.selectors import complaint_scope
from feedback.complaints.services.workflow import complaint_resolve, complaint_start
from segmentation.tiers.card import tier_card
from segmentation.tiers.models import TierChange
from segmentation.tiers.services import tier_change_decide

TEXT = "上月订货条数比同类店多，档位却没有升。"


def hub(token):
    return Client().get(reverse("feedback-public:hub", args=[token])).content.decode()


def file_from_hub(token, text=TEXT):
    return Client().post(reverse("feedback-public:public-tier-appeal", args=[token]), {"description": text})


def test_filing_from_the_hub_opens_a_case_with_a_deadline(published, four_shops, portal_token, supervisor_a):
    shop = four_shops["C"]
    token = portal_token(shop)
    assert reverse("feedback-public:public-tier-appeal", args=[token]) in hub(token)
    form = Client().get(reverse("feedback-public:public-tier-appeal", args=[token]))
    assert form.status_code == 200
    assert 'id="tier-card-score">40.0<' in form.content.decode()  # the card beside the form

    response = file_from_hub(token)

    appeal = TierAppeal.objects.get(retailer=shop)
    complaint = appeal.complaint
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "feedback-public:public-complaint-detail", args=[token, complaint.pk]
    )
    assert (complaint.category.code, complaint.channel, complaint.description) == ("tier_appeal", "web", TEXT)
    assert complaint.assignee == supervisor_a
    assert complaint.status == Complaint.Status.ASSIGNED
    assert complaint.resolution_due is not None
    assert complaint.resolution_due > complaint.opened_at
    assert (appeal.tier_at_filing, appeal.proposal, appeal.outcome) == (28, published, "pending")
    assert "处理中" in hub(token)
    # the same text again (a double tap) files nothing new; another appeal while this one is open is refused
    assert file_from_hub(token).status_code == 302
    assert TierAppeal.objects.filter(retailer=shop).count() == 1
    assert file_from_hub(token, "再说一次").status_code == 409
    with pytest.raises(ConflictError):
        tier_appeal_file(retailer=shop, description="另一条")
    assert file_from_hub(portal_token(four_shops["D"]), "  ").status_code == 400


def test_a_change_goes_through_the_engines_two_person_path(
    published, four_shops, portal_token, supervisor_a, second_supervisor
):
    shop = four_shops["C"]
    appeal, _ = tier_appeal_file(retailer=shop, description=TEXT)

    decided = tier_appeal_decide(
        user=supervisor_a, appeal_id=appeal.pk, outcome="changed", to_tier=29, reason="复核订货数据，属实。"
    )

    change = decided.tier_change
    assert (change.source, change.status, change.from_tier, change.to_tier) == ("appeal", "pending", 28, 29)
    assert change.requested_by == supervisor_a
    assert Retailer.objects.get(pk=shop.pk).tier == 28  # not before a second person approves
    complaint = Complaint.objects.get(pk=appeal.complaint_id)
    assert complaint.status == Complaint.Status.RESOLVED
    assert "29" in complaint.resolution
    assert "复核订货数据，属实。" in complaint.resolution
    token = portal_token(shop)
    assert "待复核" in hub(token)
    with pytest.raises(ConflictError):  # the decider may not approve their own request
        tier_change_decide(user=supervisor_a, change_id=change.pk, approve=True)
    tier_change_decide(user=second_supervisor, change_id=change.pk, approve=True)
    assert Retailer.objects.get(pk=shop.pk).tier == 29
    page = hub(token)
    assert "已调整为 29 档" in page
    assert "复核订货数据，属实。" in page
    with pytest.raises(ConflictError):
        tier_appeal_decide(user=second_supervisor, appeal_id=appeal.pk, outcome="upheld", reason="再议")


def test_an_uphold_is_kept_in_the_tier_history(published, four_shops, portal_token, supervisor_a):
    shop = four_shops["D"]
    appeal, _ = tier_appeal_file(retailer=shop, description=TEXT)
    with pytest.raises(ValidationError):
        tier_appeal_decide(user=supervisor_a, appeal_id=appeal.pk, outcome="upheld", reason=" ")
    with pytest.raises(ValidationError):
        tier_appeal_decide(user=supervisor_a, appeal_id=appeal.pk, outcome="changed", reason="x", to_tier=31)

    tier_appeal_decide(user=supervisor_a, appeal_id=appeal.pk, outcome="upheld", reason="五月订货全组最少。")

    appeal.refresh_from_db()
    assert (appeal.outcome, appeal.decided_tier, appeal.decided_by) == ("upheld", 27, supervisor_a)
    kept = TierChange.objects.get(retailer=shop, source="appeal")
    assert (kept.status, kept.from_tier, kept.to_tier, kept.approved_by) == ("upheld", 27, 27, supervisor_a)
    assert Retailer.objects.get(pk=shop.pk).tier == 27
    assert kept in tier_card(retailer=Retailer.objects.get(pk=shop.pk)).history
    page = hub(portal_token(shop))
    assert "维持原档" in page
    assert "五月订货全组最少。" in page
    # decided: a new appeal may be filed
    assert tier_appeal_file(retailer=shop, description="六月再看")[1] is True


def test_a_manager_cannot_decide_and_the_case_cannot_be_closed_around_the_decision(
    published, four_shops, manager_a, supervisor_a, client_for, api_client_for
):
    appeal, _ = tier_appeal_file(retailer=four_shops["C"], description=TEXT)
    with pytest.raises(PermissionDenied):
        tier_appeal_decide(user=manager_a, appeal_id=appeal.pk, outcome="upheld", reason="x")
    url = reverse("feedback:tier-appeal-decide", args=[appeal.pk])
    assert client_for(manager_a).post(url, {"outcome": "upheld", "reason": "x"}).status_code == 403
    api = api_client_for(manager_a).post(
        f"/api/v1/tier-appeals/{appeal.pk}/decide/", {"outcome": "upheld", "reason": "x"}, format="json"
    )
    assert api.status_code == 403
    # the manager still sees the case of their shop (a tier appeal is not about their conduct) and the list
    assert complaint_scope(user=manager_a).filter(pk=appeal.complaint_id).exists()
    assert client_for(manager_a).get(reverse("feedback:tier-appeal-list")).status_code == 200
    # the supervisor cannot resolve it as a plain complaint
    complaint = complaint_start(complaint=appeal.complaint_id, actor=supervisor_a)
    with pytest.raises(ConflictError):
        complaint_resolve(complaint=complaint, actor=supervisor_a, resolution="已解释")
    assert TierAppeal.objects.get(pk=appeal.pk).outcome == "pending"


def test_decision_page_and_api_for_supervisors(
    published, four_shops, supervisor_a, client_for, api_client_for
):
    appeal, _ = tier_appeal_file(retailer=four_shops["C"], description=TEXT)
    listing = client_for(supervisor_a).get(reverse("feedback:tier-appeal-list"))
    assert f'id="tier-appeal-{appeal.pk}"' in listing.content.decode()
    api = api_client_for(supervisor_a)
    assert api.get("/api/v1/tier-appeals/?outcome=pending").json()["results"][0]["id"] == appeal.pk
    bad = api.post(
        f"/api/v1/tier-appeals/{appeal.pk}/decide/", {"outcome": "maybe", "reason": "x"}, format="json"
    )
    assert bad.status_code == 400
    done = api.post(
        f"/api/v1/tier-appeals/{appeal.pk}/decide/",
        {"outcome": "upheld", "reason": "数据无误"},
        format="json",
    )
    assert done.status_code == 200, done.content
    assert (done.json()["outcome"], done.json()["tier_change_status"]) == ("upheld", "upheld")
    again = api.post(
        f"/api/v1/tier-appeals/{appeal.pk}/decide/", {"outcome": "upheld", "reason": "x"}, format="json"
    )
    assert again.status_code == 409


def test_another_territorys_supervisor_gets_404(published, four_shops, county_b, api_client_for):
    from tests.users.factories import SupervisorFactory

    other = SupervisorFactory(username="sup_b", org_unit=county_b)
    appeal, _ = tier_appeal_file(retailer=four_shops["C"], description=TEXT)
    assert (
        api_client_for(other)
        .post(
            f"/api/v1/tier-appeals/{appeal.pk}/decide/", {"outcome": "upheld", "reason": "x"}, format="json"
        )
        .status_code
        == 404
    )


def test_a_retailer_link_shows_only_its_own_card(published, four_shops, portal_token):
    page = hub(portal_token(four_shops["C"]))
    assert 'id="hub-tier-card"' in page
    assert 'id="tier-card-score">40.0<' in page
    assert "83.3" not in page  # shop B's score (the top tier's line) is nowhere on C's hub
    assert "档位测试A" not in page


def test_the_complaint_api_does_not_file_appeals_around_the_appeal_path(
    published, four_shops, api_client_for, manager_a
):
    response = api_client_for(manager_a).post(
        "/api/v1/complaints/",
        {"retailer": four_shops["C"].pk, "category": "tier_appeal", "description": TEXT, "channel": "phone"},
        format="json",
    )
    assert response.status_code == 400
    assert "category" in response.json()
    assert not TierAppeal.objects.exists()
