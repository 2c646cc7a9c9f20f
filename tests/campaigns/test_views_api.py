"""The outreach pages and API: who sees and does what, the template editor's preview, journey switches, and the
API's campaign life cycle with the send log behind a cursor."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign, Delivery, Journey, MessageTemplate
from campaigns.services.campaigns import campaign_start
from campaigns.services.sending import campaign_send
from segmentation.segments.services import segment_create
from tests.campaigns.factories import sms_body
from tests.users.factories import SupervisorFactory

EVERYONE = {"op": "and", "rules": []}


@pytest.fixture
def second_supervisor(county_a):
    return SupervisorFactory(username="supervisor_a2", display_name="钱主管", org_unit=county_a)


@pytest.fixture
def segment(supervisor_a, county_a, consenting):
    return segment_create(user=supervisor_a, name="老城全部", org_unit=county_a, definition=EVERYONE)


def campaign_form(segment, template, **extra):
    return {
        "name": "端午新品",
        "segment": segment.pk,
        "channel": "sms",
        "template": template.pk,
        "purpose": "marketing",
        "schedule_kind": "now",
        "holdout_pct": 10,
        "conversion_days": 14,
        "quiet_start": "21:00",  # what the form shows and a browser posts back
        "quiet_end": "08:00",
        **extra,
    }


def test_a_supervisor_drafts_a_campaign_in_the_form_and_another_approves_it_on_the_page(
    client_for, supervisor_a, second_supervisor, segment, sms_template
):
    author = client_for(supervisor_a)
    assert author.get(reverse("campaigns:campaign-create")).status_code == 200
    response = author.post(reverse("campaigns:campaign-create"), campaign_form(segment, sms_template))
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == campaign.get_absolute_url()
    assert (campaign.state, campaign.quiet_start.hour, campaign.quiet_end.hour) == ("draft", 21, 8)

    page = author.get(campaign.get_absolute_url()).content.decode()
    assert "待另一位主管审批" in page
    assert 'id="action-approve"' not in page
    refused = author.post(reverse("campaigns:campaign-action", args=[campaign.pk, "approve"]), follow=True)
    assert "您没有此操作的权限" in refused.content.decode() or "创建人以外" in refused.content.decode()

    approver = client_for(second_supervisor)
    assert 'id="action-approve"' in approver.get(campaign.get_absolute_url()).content.decode()
    approver.post(reverse("campaigns:campaign-action", args=[campaign.pk, "approve"]))
    campaign.refresh_from_db()
    assert (campaign.state, campaign.approved_by) == ("approved", second_supervisor)


def test_the_campaign_form_shows_the_services_errors(client_for, supervisor_a, segment, county_a):
    email = MessageTemplate.objects.create(
        name="邮件", channel="email", org_unit=county_a, body="{{ unsubscribe_url }}", created_by=supervisor_a
    )
    response = client_for(supervisor_a).post(
        reverse("campaigns:campaign-create"), campaign_form(segment, email)
    )
    assert response.status_code == 400
    assert "模板的渠道与活动的渠道不一致" in response.content.decode()
    assert not Campaign.objects.exists()


def test_detail_shows_progress_and_a_manager_sees_only_their_retailers_campaigns(
    client_for, supervisor_a, second_supervisor, segment, sms_template, manager_a, manager_b, gateway
):
    from campaigns.services.campaigns import campaign_approve, campaign_create, campaign_schedule

    data = {"name": "本周通知", "segment": segment, "template": sms_template, "holdout_pct": 0}
    campaign = campaign_create(actor=supervisor_a, data={**data, "quiet_start": None, "quiet_end": None})
    campaign_approve(actor=second_supervisor, campaign=campaign)
    campaign_start(campaign_id=campaign_schedule(actor=supervisor_a, campaign=campaign).pk)
    campaign_send(campaign_id=campaign.pk)

    page = client_for(supervisor_a).get(campaign.get_absolute_url()).content.decode()
    assert 'id="delivery-counts"' in page
    assert "funnel-chart" in page

    manager = client_for(manager_a)
    assert campaign.name in manager.get(reverse("campaigns:campaign-list")).content.decode()
    mine = manager.get(campaign.get_absolute_url())
    assert mine.status_code == 200
    assert "仅统计您负责的客户" in mine.content.decode()
    assert 'id="action-cancel"' not in mine.content.decode()
    assert client_for(manager_b).get(campaign.get_absolute_url()).status_code == 404
    assert campaign.name not in client_for(manager_b).get(reverse("campaigns:campaign-list")).content.decode()
    assert client_for(manager_a).get(reverse("campaigns:campaign-create")).status_code == 403


def test_the_template_preview_shows_the_rule_broken_and_a_real_retailers_text(
    client_for, supervisor_a, retailer_a
):
    client = client_for(supervisor_a)
    url = reverse("campaigns:template-preview")

    bad = client.get(url, {"channel": "sms", "body": "{{ owner_name }}您好", "retailer": retailer_a.pk})
    assert "短信必须以签名" in bad.content.decode()
    assert "短信必须包含退订方式" in bad.content.decode()

    good = client.get(url, {"channel": "sms", "body": sms_body(), "retailer": retailer_a.pk}).content.decode()
    assert "不能保存" not in good
    assert "周甲您好" in good
    assert "计 1 条" in good


def test_the_preview_uses_only_retailers_of_the_users_territory(client_for, supervisor_a, retailer_b):
    page = client_for(supervisor_a).get(
        reverse("campaigns:template-preview"),
        {"channel": "sms", "body": sms_body(), "retailer": retailer_b.pk},
    )
    assert retailer_b.owner_name not in page.content.decode()


def test_the_template_editor_refuses_an_unsigned_sms_with_the_reason(client_for, supervisor_a):
    client = client_for(supervisor_a)
    data = {"name": "无签名", "channel": "sms", "body": "您好回T退订", "is_active": "on"}
    response = client.post(reverse("campaigns:template-create"), data)
    assert response.status_code == 400
    assert "短信必须以签名" in response.content.decode()
    saved = client.post(reverse("campaigns:template-create"), {**data, "body": sms_body()})
    assert saved.status_code == 302
    assert MessageTemplate.objects.get().name == "无签名"


def test_journeys_have_a_switch_each_and_need_a_template_to_switch_on(client_for, supervisor_a, sms_template):
    client = client_for(supervisor_a)
    page = client.get(reverse("campaigns:journey-list")).content.decode()
    journeys = Journey.objects.filter(org_unit=supervisor_a.org_unit)
    assert journeys.count() == len(Journey.Kind)
    birthday = journeys.get(kind=Journey.Kind.BIRTHDAY)
    assert f'id="journey-switch-{birthday.pk}"' in page

    refused = client.post(reverse("campaigns:journey-toggle", args=[birthday.pk]))
    assert refused["Location"] == reverse("campaigns:journey-edit", args=[birthday.pk])
    birthday.refresh_from_db()
    assert birthday.enabled is False

    form = {
        "enabled": "on",
        "channel": "sms",
        "template": sms_template.pk,
        "send_time": "09:30",
        "holdout_pct": 0,
    }
    assert client.post(reverse("campaigns:journey-edit", args=[birthday.pk]), form).status_code == 302
    birthday.refresh_from_db()
    assert (birthday.enabled, birthday.template, birthday.send_time.minute) == (True, sms_template, 30)
    client.post(reverse("campaigns:journey-toggle", args=[birthday.pk]))
    birthday.refresh_from_db()
    assert birthday.enabled is False


def test_a_manager_has_no_journeys_or_templates(client_for, manager_a):
    client = client_for(manager_a)
    assert client.get(reverse("campaigns:journey-list")).status_code == 403
    assert client.get(reverse("campaigns:template-list")).status_code == 403


# ---- API ----------------------------------------------------------------------------------------------------------
def test_the_api_runs_a_campaign_through_its_life_and_reports_results(
    api_client_for, supervisor_a, second_supervisor, segment, sms_template, gateway
):
    author, approver = api_client_for(supervisor_a), api_client_for(second_supervisor)
    body = {
        **campaign_form(segment, sms_template),
        "holdout_pct": 0,
        "quiet_start": None,
        "quiet_end": None,
    }
    created = author.post("/api/v1/campaigns/", body, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]

    assert author.post(f"/api/v1/campaigns/{pk}/approve/").status_code == 403
    assert approver.post(f"/api/v1/campaigns/{pk}/approve/").json()["status"] == "approved"
    assert (
        author.post(f"/api/v1/campaigns/{pk}/approve/").status_code == 403
    )  # never one's own campaign, approved or not
    assert approver.post(f"/api/v1/campaigns/{pk}/launch/").json()["status"] == "scheduled"
    campaign_start(campaign_id=pk)
    campaign_send(campaign_id=pk)

    results = author.get(f"/api/v1/campaigns/{pk}/results/").json()
    assert results["counts"]["states"]["sent"] == 5
    assert results["conversion"] is None  # no promoted products
    assert author.post(f"/api/v1/campaigns/{pk}/pause/").status_code == 409  # done already


def test_the_api_refuses_a_template_breaking_the_sms_rules_with_the_reason(api_client_for, supervisor_a):
    response = api_client_for(supervisor_a).post(
        "/api/v1/templates/", {"name": "x", "channel": "sms", "body": "您好"}, format="json"
    )
    assert response.status_code == 400
    assert any("签名" in m for m in response.json()["body"])
    assert any("回T退订" in m for m in response.json()["body"])


def test_the_api_refuses_a_second_template_of_the_same_name_in_the_unit(
    api_client_for, supervisor_a, sms_template
):
    body = {"name": sms_template.name, "channel": "sms", "body": sms_template.body}
    response = api_client_for(supervisor_a).post("/api/v1/templates/", body, format="json")
    assert response.status_code == 400  # was an IntegrityError (500)
    assert set(response.json()) == {"name"}


def test_the_api_previews_a_template_for_a_retailer_in_the_territory_only(
    api_client_for, supervisor_a, sms_template, retailer_a, retailer_b
):
    client = api_client_for(supervisor_a)
    ok = client.post(
        f"/api/v1/templates/{sms_template.pk}/preview/", {"retailer": retailer_a.pk}, format="json"
    )
    assert ok.json()["text"].startswith("【烟草公司】周甲您好")
    assert ok.json()["segments"] == 1
    other = client.post(
        f"/api/v1/templates/{sms_template.pk}/preview/", {"retailer": retailer_b.pk}, format="json"
    )
    assert other.status_code == 400


def test_the_send_log_api_is_scoped_and_cursor_paginated(
    api_client_for, gateway, consenting, sms_template, manager_a, manager_b
):
    from tests.campaigns.conftest import sending_campaign

    campaign = sending_campaign(template=sms_template, retailers=consenting)
    campaign_send(campaign_id=campaign.pk)

    page = api_client_for(manager_a).get("/api/v1/deliveries/", {"page_size": 2}).json()
    assert len(page["results"]) == 2
    assert page["next"]
    assert "cursor=" in page["next"]
    assert {row["status"] for row in page["results"]} == {"sent"}
    assert "address" not in page["results"][0]
    assert api_client_for(manager_b).get("/api/v1/deliveries/").json()["results"] == []
    assert Delivery.objects.count() == 5
