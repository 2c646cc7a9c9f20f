"""A campaign's life: a supervisor drafts, another approves, launch snapshots the saved segment into deliveries
with a stable holdout of the right size; at a time or by cron; pause, resume and cancel from every state; who may
see and do what."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from campaigns.models import Campaign, Delivery
from campaigns.selectors import campaign_get, campaign_list
from campaigns.services.campaigns import (
    campaign_approve,
    campaign_cancel,
    campaign_create,
    campaign_pause,
    campaign_resume,
    campaign_schedule,
    campaign_start,
    campaign_update,
)
from campaigns.services.sending import campaign_send
from campaigns.services.snapshot import is_holdout
from campaigns.services.ticks import dispatch_tick
from core.errors import ConflictError
from segmentation.segments.services import segment_create
from tests.accounts.factories import RetailerFactory
from tests.campaigns.factories import TemplateFactory
from tests.users.factories import SupervisorFactory

EVERYONE = {"op": "and", "rules": []}


@pytest.fixture
def second_supervisor(county_a):
    return SupervisorFactory(username="supervisor_a2", display_name="钱主管", org_unit=county_a)


@pytest.fixture
def segment(supervisor_a, county_a, consenting):
    return segment_create(user=supervisor_a, name="老城全部", org_unit=county_a, definition=EVERYONE)


def draft(supervisor, segment, template, **extra):
    # no quiet hours: these tests send whatever the time of day they run at
    data = {
        "name": "五月新品",
        "segment": segment,
        "template": template,
        "holdout_pct": 0,
        "quiet_start": None,
    }
    data = {**data, "quiet_end": None, **extra}
    return campaign_create(actor=supervisor, data=data)


def approved(supervisor, approver, segment, template, **extra):
    return campaign_approve(actor=approver, campaign=draft(supervisor, segment, template, **extra))


def test_a_supervisor_drafts_and_another_approves(supervisor_a, second_supervisor, segment, sms_template):
    campaign = draft(supervisor_a, segment, sms_template)
    assert (campaign.state, campaign.org_unit, campaign.created_by) == (
        "draft",
        supervisor_a.org_unit,
        supervisor_a,
    )

    campaign = campaign_approve(actor=second_supervisor, campaign=campaign)

    assert (campaign.state, campaign.approved_by) == ("approved", second_supervisor)
    assert campaign.approved_at is not None


def test_the_creator_cannot_approve_their_own_campaign(supervisor_a, segment, sms_template):
    campaign = draft(supervisor_a, segment, sms_template)
    with pytest.raises(PermissionDenied, match="创建人以外"):
        campaign_approve(actor=supervisor_a, campaign=campaign)


def test_a_customer_manager_may_neither_create_nor_approve(manager_a, supervisor_a, segment, sms_template):
    with pytest.raises(PermissionDenied):
        draft(manager_a, segment, sms_template)
    campaign = draft(supervisor_a, segment, sms_template)
    with pytest.raises(PermissionDenied):
        campaign_approve(actor=manager_a, campaign=campaign)


def test_a_supervisor_of_another_county_cannot_approve(supervisor_a, county_b, segment, sms_template):
    other = SupervisorFactory(org_unit=county_b)
    with pytest.raises(PermissionDenied):
        campaign_approve(actor=other, campaign=draft(supervisor_a, segment, sms_template))


def test_a_campaign_needs_a_segment_and_a_template_of_its_channel(
    supervisor_a, segment, sms_template, county_a
):
    with pytest.raises(ValidationError) as error:
        campaign_create(actor=supervisor_a, data={"name": "x", "template": sms_template})
    assert "segment" in error.value.message_dict
    email_template = TemplateFactory(org_unit=county_a, created_by=supervisor_a, channel="email")
    with pytest.raises(ValidationError) as error:
        draft(supervisor_a, segment, email_template)
    assert error.value.message_dict["template"] == ["模板的渠道与活动的渠道不一致。"]


def test_a_template_breaking_the_sms_rules_cannot_be_approved(
    supervisor_a, second_supervisor, segment, county_a
):
    unsigned = TemplateFactory(org_unit=county_a, created_by=supervisor_a, body="您好，新品到货。")
    campaign = draft(supervisor_a, segment, unsigned)
    with pytest.raises(ValidationError, match="签名"):
        campaign_approve(actor=second_supervisor, campaign=campaign)


def test_editing_an_approved_campaign_sends_it_back_for_approval(
    supervisor_a, second_supervisor, segment, sms_template
):
    campaign = approved(supervisor_a, second_supervisor, segment, sms_template)
    campaign = campaign_update(actor=supervisor_a, campaign=campaign, data={"holdout_pct": 20})
    assert (campaign.state, campaign.approved_by, campaign.holdout_pct) == ("draft", None, 20)


def test_launch_now_snapshots_the_segment_into_deliveries_and_sends(
    supervisor_a, second_supervisor, segment, sms_template, gateway, django_capture_on_commit_callbacks
):
    campaign = approved(supervisor_a, second_supervisor, segment, sms_template)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        campaign = campaign_schedule(actor=second_supervisor, campaign=campaign)
    assert campaign.state == Campaign.State.SCHEDULED
    assert len(callbacks) == 1  # the start task, enqueued after commit

    started = campaign_start(campaign_id=campaign.pk)

    assert started.state == Campaign.State.SENDING
    assert started.recipient_count == Delivery.objects.filter(campaign=campaign).count() == 5
    assert campaign_start(campaign_id=campaign.pk) is None  # a second start does nothing
    campaign_send(campaign_id=campaign.pk)
    assert gateway.stats()["unique_keys"] == 5


def test_the_audience_is_the_segment_at_launch_not_at_creation(
    supervisor_a, second_supervisor, segment, sms_template, route_a
):
    campaign = approved(supervisor_a, second_supervisor, segment, sms_template)
    joined_before_launch = RetailerFactory(route=route_a)
    campaign = campaign_schedule(actor=supervisor_a, campaign=campaign)
    campaign_start(campaign_id=campaign.pk)
    joined_after_launch = RetailerFactory(route=route_a)

    recipients = set(Delivery.objects.filter(campaign=campaign).values_list("retailer_id", flat=True))
    assert joined_before_launch.pk in recipients
    assert joined_after_launch.pk not in recipients


def test_a_campaign_at_a_time_starts_at_the_first_tick_after_it(
    supervisor_a, second_supervisor, segment, sms_template
):
    at = timezone.now() + datetime.timedelta(hours=2)
    campaign = approved(
        supervisor_a, second_supervisor, segment, sms_template, schedule_kind="at", send_at=at
    )
    campaign_schedule(actor=supervisor_a, campaign=campaign)

    assert dispatch_tick(now=at - datetime.timedelta(minutes=1), journeys=False).started == []
    assert dispatch_tick(now=at + datetime.timedelta(seconds=30), journeys=False).started == [campaign.pk]
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING


def test_a_recurring_campaign_starts_one_occurrence_per_time(
    supervisor_a, second_supervisor, segment, sms_template
):
    campaign = approved(
        supervisor_a, second_supervisor, segment, sms_template, schedule_kind="cron", cron="0 9 * * 1"
    )
    campaign = campaign_schedule(actor=supervisor_a, campaign=campaign)
    first = campaign.next_run_at
    assert timezone.localtime(first).weekday() == 0
    assert (timezone.localtime(first).hour, timezone.localtime(first).minute) == (9, 0)

    occurrence = campaign_start(campaign_id=campaign.pk, now=first)
    assert campaign_start(campaign_id=campaign.pk, now=first) is None

    campaign.refresh_from_db()
    assert occurrence.parent == campaign
    assert occurrence.state == Campaign.State.SENDING
    assert occurrence.recipient_count == 5
    assert campaign.state == Campaign.State.SCHEDULED
    assert campaign.next_run_at == first + datetime.timedelta(days=7)


def test_holdout_assignment_is_stable_and_of_the_right_size():
    held = sum(is_holdout(77, rid, 10) for rid in range(1, 50_001))
    assert 0.095 < held / 50_000 < 0.105
    assert [is_holdout(77, rid, 10) for rid in range(1, 200)] == [
        is_holdout(77, rid, 10) for rid in range(1, 200)
    ]
    # another campaign holds out other retailers
    assert {rid for rid in range(1, 2000) if is_holdout(77, rid, 10)} != {
        rid for rid in range(1, 2000) if is_holdout(78, rid, 10)
    }


def test_the_launch_sql_draws_the_same_holdout_as_the_rule(route_a, sms_template, supervisor_a):
    from tests.campaigns.conftest import sending_campaign

    retailers = [RetailerFactory(route=route_a) for _ in range(40)]
    campaign = sending_campaign(template=sms_template, retailers=retailers, holdout_pct=30)

    rows = dict(Delivery.objects.filter(campaign=campaign).values_list("retailer_id", "is_holdout"))
    assert rows == {r.pk: is_holdout(campaign.pk, r.pk, 30) for r in retailers}
    assert campaign.holdout_count == sum(rows.values()) > 0
    held = Delivery.objects.filter(campaign=campaign, is_holdout=True)
    assert set(held.values_list("state", flat=True)) == {Delivery.State.HOLDOUT}


def test_holdout_retailers_are_never_sent(route_a, sms_template, gateway):
    from tests.campaigns.conftest import consent, sending_campaign

    retailers = [consent(RetailerFactory(route=route_a)) for _ in range(30)]
    campaign = sending_campaign(template=sms_template, retailers=retailers, holdout_pct=50)

    campaign_send(campaign_id=campaign.pk)

    held = set(
        Delivery.objects.filter(campaign=campaign, is_holdout=True).values_list("retailer__mobile", flat=True)
    )
    assert held
    assert not held & set(gateway.per_number)
    assert gateway.stats()["unique_keys"] == 30 - len(held)


@pytest.mark.parametrize("state", ["draft", "approved", "scheduled", "sending", "paused"])
def test_cancel_is_allowed_from_every_unfinished_state(state, supervisor_a, segment, sms_template):
    campaign = draft(supervisor_a, segment, sms_template)
    Campaign.objects.filter(pk=campaign.pk).update(state=state)
    assert campaign_cancel(actor=supervisor_a, campaign=campaign).state == Campaign.State.CANCELLED
    with pytest.raises(ConflictError):
        campaign_cancel(actor=supervisor_a, campaign=campaign)


def test_pause_and_resume_of_a_scheduled_campaign_keep_it_scheduled(
    supervisor_a, second_supervisor, segment, sms_template
):
    at = timezone.now() + datetime.timedelta(hours=1)
    campaign = approved(
        supervisor_a, second_supervisor, segment, sms_template, schedule_kind="at", send_at=at
    )
    campaign_schedule(actor=supervisor_a, campaign=campaign)
    campaign_pause(actor=supervisor_a, campaign=campaign)
    assert dispatch_tick(now=at + datetime.timedelta(minutes=1), journeys=False).started == []

    assert campaign_resume(actor=supervisor_a, campaign=campaign).state == Campaign.State.SCHEDULED
    with pytest.raises(ConflictError):
        campaign_resume(actor=supervisor_a, campaign=campaign)


def test_launch_needs_approval_first(supervisor_a, segment, sms_template):
    with pytest.raises(ConflictError):
        campaign_schedule(actor=supervisor_a, campaign=draft(supervisor_a, segment, sms_template))


def test_managers_see_the_campaigns_that_reach_their_retailers_only(
    supervisor_a, second_supervisor, segment, sms_template, manager_a, manager_b, retailer_b
):
    campaign = approved(supervisor_a, second_supervisor, segment, sms_template)
    assert campaign not in campaign_list(user=manager_a)  # nothing sent yet: reaches nobody
    campaign_start(campaign_id=campaign_schedule(actor=supervisor_a, campaign=campaign).pk)

    assert list(campaign_list(user=manager_a)) == [campaign]
    assert list(campaign_list(user=manager_b)) == []
    assert list(campaign_list(user=supervisor_a)) == [campaign]
    with pytest.raises(Http404):
        campaign_get(user=manager_b, campaign_id=campaign.pk)
    assert not Delivery.objects.filter(campaign=campaign, retailer=retailer_b).exists()
