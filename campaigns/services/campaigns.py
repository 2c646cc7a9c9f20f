"""A campaign's life: draft → approved (by a second person) → scheduled → sending → done, or cancelled; pause and
resume at any moment. Every transition is a conditional write on the current state, so two clicks, two workers
or a click racing a worker never do a step twice."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import schedule, templating
from campaigns.models import Campaign, Channel, Delivery
from campaigns.services.sending import campaign_finish_if_drained, send_tasks_enqueue
from campaigns.services.snapshot import deliveries_snapshot
from core.db import tables_analyze_after_load
from core.errors import ConflictError
from users.models import OrgUnit, User

EDITABLE_FIELDS = (
    "name",
    "description",
    "org_unit",
    "segment",
    "channel",
    "purpose",
    "template",
    "schedule_kind",
    "send_at",
    "cron",
    "holdout_pct",
    "quiet_start",
    "quiet_end",
    "link_url",
    "conversion_days",
)
STATE = Campaign.State


# ---- who may do what ----------------------------------------------------------------------------------------------
def unit_within(*, user: User, org_unit: OrgUnit) -> bool:
    """True if `org_unit` is the user's own unit or below it (admins: everywhere)."""
    if user.is_company_admin:
        return True
    return bool(user.org_unit_id) and org_unit.path.startswith(user.org_unit.path)


def campaign_may_edit(*, user: User, campaign: Campaign | None = None) -> bool:
    if not user.has_perm("campaigns.add_campaign"):
        return False
    return campaign is None or unit_within(user=user, org_unit=campaign.org_unit)


def campaign_may_approve(*, user: User, campaign: Campaign) -> bool:
    """A supervisor of the campaign's unit who did not create it (two people for every send)."""
    return (
        user.has_perm("campaigns.approve_campaign")
        and unit_within(user=user, org_unit=campaign.org_unit)
        and campaign.created_by_id != user.pk
    )


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("您没有此操作的权限。"))


# ---- validation ---------------------------------------------------------------------------------------------------
def campaign_validate(*, campaign: Campaign, actor: User | None) -> None:
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    try:
        campaign.full_clean(exclude=["template", "org_unit", "created_by", "segment"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                add(field, message)
    template = campaign.template if campaign.template_id else None
    if template is None:
        add("template", _("请选择模板。"))
    else:
        if template.channel != campaign.channel:
            add("template", _("模板的渠道与活动的渠道不一致。"))
        if not template.is_active:
            add("template", _("该模板已停用。"))
        if not campaign.org_unit.path.startswith(template.org_unit.path):
            add("template", _("只能使用本单位或上级单位的模板。"))
    if actor is not None and not unit_within(user=actor, org_unit=campaign.org_unit):
        add("org_unit", _("只能为本单位及下级单位创建活动。"))
    if not campaign.is_occurrence and campaign.journey_id is None:
        segment = getattr(campaign, "segment", None)
        if segment is None:
            add("segment", _("请选择目标客群。"))
        elif not campaign.org_unit.path.startswith(segment.org_unit.path) and not (
            segment.org_unit.path.startswith(campaign.org_unit.path)
        ):
            add("segment", _("客群不属于该单位。"))
    if campaign.schedule_kind == Campaign.ScheduleKind.AT:
        if campaign.send_at is None:
            add("send_at", _("请填写发送时间。"))
        elif campaign.state == STATE.DRAFT and campaign.send_at < timezone.now() - datetime.timedelta(
            minutes=1
        ):
            add("send_at", _("发送时间不能早于现在。"))
    if campaign.schedule_kind == Campaign.ScheduleKind.CRON:
        try:
            schedule.cron_parse(campaign.cron)
        except schedule.CronError as exc:
            add("cron", _("周期格式不正确：%(error)s") % {"error": exc})
    if (campaign.quiet_start is None) != (campaign.quiet_end is None):
        add("quiet_end", _("免打扰时段需要同时填写开始和结束时间。"))
    if campaign.link_url and "link" not in templating.variables_used(
        template.body if template else "", template.html_body if template else ""
    ):
        add("link_url", _("模板中没有 {{ link }}，活动链接不会出现在消息里。"))
    if errors:
        raise ValidationError(errors)


# ---- create and edit ----------------------------------------------------------------------------------------------
@transaction.atomic
def campaign_create(*, actor: User, data: dict[str, Any], promoted_products=()) -> Campaign:
    _require(campaign_may_edit(user=actor))
    fields = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
    fields.setdefault("org_unit", actor.org_unit)
    if fields.get("channel") == Channel.EMAIL and "quiet_start" not in data:
        fields["quiet_start"] = fields["quiet_end"] = None
    campaign = Campaign(**fields, created_by=actor, state=STATE.DRAFT)
    campaign_validate(campaign=campaign, actor=actor)
    campaign.save()
    campaign.promoted_products.set(promoted_products)
    return campaign


@transaction.atomic
def campaign_update(
    *, actor: User, campaign: Campaign, data: dict[str, Any], promoted_products=None
) -> Campaign:
    """Edit a draft, or an approved campaign not yet launched (which then needs approval again)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require(campaign_may_edit(user=actor, campaign=campaign))
    if campaign.state not in (STATE.DRAFT, STATE.APPROVED):
        raise ConflictError(_("只能修改草稿或未发送的活动。"))
    changed = []
    for name, value in data.items():
        if name in EDITABLE_FIELDS and getattr(campaign, name) != value:
            setattr(campaign, name, value)
            changed.append(name)
    products_changed = False
    if promoted_products is not None:
        before = set(campaign.promoted_products.values_list("pk", flat=True))
        products_changed = before != {p.pk for p in promoted_products}
        campaign.promoted_products.set(promoted_products)
    if campaign.state == STATE.APPROVED and (changed or products_changed):
        campaign.state, campaign.approved_by, campaign.approved_at = STATE.DRAFT, None, None
        changed += ["state", "approved_by", "approved_at"]
    campaign_validate(campaign=campaign, actor=actor)
    campaign.save(update_fields=[*changed, "updated_at"])
    return campaign


# ---- transitions --------------------------------------------------------------------------------------------------
def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().select_related("org_unit", "template").get(pk=campaign.pk)


@transaction.atomic
def campaign_approve(*, actor: User, campaign: Campaign) -> Campaign:
    campaign = _locked(campaign)
    if campaign.created_by_id == actor.pk:
        raise PermissionDenied(_("活动须由创建人以外的主管审批。"))
    _require(campaign_may_approve(user=actor, campaign=campaign))
    if campaign.state != STATE.DRAFT:
        raise ConflictError(_("只有草稿可以审批。"))
    problems = templating.template_problems(
        channel=campaign.template.channel,
        subject=campaign.template.subject,
        body=campaign.template.body,
        html_body=campaign.template.html_body,
    )
    if problems:
        raise ValidationError({"template": [m for ms in problems.values() for m in ms]})
    campaign_validate(campaign=campaign, actor=None)
    campaign.state, campaign.approved_by, campaign.approved_at = STATE.APPROVED, actor, timezone.now()
    campaign.save(update_fields=["state", "approved_by", "approved_at", "updated_at"])
    return campaign


@transaction.atomic
def campaign_schedule(*, actor: User, campaign: Campaign) -> Campaign:
    """approved → scheduled. "Now" starts at once (after commit, in a worker); "at" and "cron" wait for the
    minute tick that finds them due."""
    campaign = _locked(campaign)
    _require(
        campaign_may_edit(user=actor, campaign=campaign)
        or campaign_may_approve(user=actor, campaign=campaign)
    )
    if campaign.state != STATE.APPROVED:
        raise ConflictError(_("活动须先审批才能发送。"))
    now = timezone.now()
    if campaign.schedule_kind == Campaign.ScheduleKind.NOW:
        campaign.send_at = now
    elif campaign.schedule_kind == Campaign.ScheduleKind.CRON:
        campaign.next_run_at = schedule.cron_next(campaign.cron, now)
    campaign.state = STATE.SCHEDULED
    campaign.save(update_fields=["state", "send_at", "next_run_at", "updated_at"])
    if campaign.schedule_kind == Campaign.ScheduleKind.NOW:
        from campaigns.tasks import campaign_start_task

        transaction.on_commit(lambda: campaign_start_task.delay(campaign.pk))
    return campaign


def campaign_audience(campaign: Campaign) -> QuerySet:
    """Who a campaign reaches at the moment it starts: its saved segment's members now."""
    from segmentation.segments.selectors import segment_members

    return segment_members(segment=campaign.segment)


@transaction.atomic
def campaign_start(*, campaign_id: int, now: datetime.datetime | None = None) -> Campaign | None:
    """A due scheduled campaign starts: snapshot the audience into deliveries, state sending, send tasks.
    A recurring one instead starts an occurrence (a child campaign) and waits for its next time.
    Returns the campaign that started sending, or None if nothing was due (safe to call twice)."""
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().select_related("org_unit").filter(pk=campaign_id).first()
    if campaign is None or campaign.state != STATE.SCHEDULED:
        return None
    if campaign.schedule_kind == Campaign.ScheduleKind.CRON:
        if campaign.next_run_at is None or campaign.next_run_at > now:
            return None
        occurrence = occurrence_create(
            parent=campaign, key=timezone.localtime(campaign.next_run_at).isoformat()
        )
        campaign.next_run_at = schedule.cron_next(campaign.cron, now)
        campaign.save(update_fields=["next_run_at", "updated_at"])
        if occurrence is None:
            return None
        return occurrence_start(occurrence=occurrence, audience=campaign_audience(campaign), now=now)
    if campaign.send_at and campaign.send_at > now:
        return None
    return occurrence_start(occurrence=campaign, audience=campaign_audience(campaign), now=now)


def occurrence_create(*, parent: Campaign, key: str) -> Campaign | None:
    """One run of a recurring campaign, as its own campaign (own deliveries, own results); None if this run
    already exists."""
    if Campaign.objects.filter(parent=parent, occurrence_key=key).exists():
        return None
    occurrence = Campaign.objects.create(
        name=f"{parent.name} · {key[:16].replace('T', ' ')}",
        org_unit=parent.org_unit,
        channel=parent.channel,
        purpose=parent.purpose,
        template=parent.template,
        parent=parent,
        occurrence_key=key,
        schedule_kind=Campaign.ScheduleKind.NOW,
        holdout_pct=parent.holdout_pct,
        quiet_start=parent.quiet_start,
        quiet_end=parent.quiet_end,
        link_url=parent.link_url,
        conversion_days=parent.conversion_days,
        context=parent.context,
        state=STATE.SCHEDULED,
        created_by=parent.created_by,
        approved_by=parent.approved_by,
        approved_at=parent.approved_at,
        **({"segment": parent.segment} if hasattr(parent, "segment") else {}),
    )
    occurrence.promoted_products.set(parent.promoted_products.all())
    return occurrence


def occurrence_start(*, occurrence: Campaign, audience: QuerySet, now: datetime.datetime) -> Campaign:
    """Snapshot `audience` into deliveries and start sending (inside the caller's transaction)."""
    written, held = deliveries_snapshot(campaign=occurrence, audience=audience)
    # the send tasks' claim plans for the rows just written, not for statistics from before them
    with connection.cursor() as cursor:
        tables_analyze_after_load(cursor, written, "campaigns_delivery")
    occurrence.state = STATE.SENDING
    occurrence.launched_at = now
    occurrence.recipient_count, occurrence.holdout_count = written, held
    occurrence.save(update_fields=["state", "launched_at", "recipient_count", "holdout_count", "updated_at"])
    if written > held:
        send_tasks_enqueue(campaign_id=occurrence.pk)
    else:
        campaign_finish_if_drained(campaign_id=occurrence.pk)
    return occurrence


@transaction.atomic
def campaign_pause(*, actor: User, campaign: Campaign) -> Campaign:
    """Stop taking new batches (a batch already handed to the gateway completes)."""
    campaign = _locked(campaign)
    _require(
        campaign_may_edit(user=actor, campaign=campaign)
        or campaign_may_approve(user=actor, campaign=campaign)
    )
    if campaign.state not in (STATE.SCHEDULED, STATE.SENDING):
        raise ConflictError(_("只有待发送或发送中的活动可以暂停。"))
    campaign.state = STATE.PAUSED
    campaign.save(update_fields=["state", "updated_at"])
    return campaign


@transaction.atomic
def campaign_resume(*, actor: User, campaign: Campaign) -> Campaign:
    campaign = _locked(campaign)
    _require(
        campaign_may_edit(user=actor, campaign=campaign)
        or campaign_may_approve(user=actor, campaign=campaign)
    )
    if campaign.state != STATE.PAUSED:
        raise ConflictError(_("活动没有暂停。"))
    campaign.state = STATE.SENDING if campaign.launched_at else STATE.SCHEDULED
    campaign.save(update_fields=["state", "updated_at"])
    if campaign.state == STATE.SENDING:
        send_tasks_enqueue(campaign_id=campaign.pk)
    return campaign


@transaction.atomic
def campaign_cancel(*, actor: User | None, campaign: Campaign) -> Campaign:
    """Cancel at any moment before done: queued deliveries are cancelled (set-based); a batch already claimed
    finishes and is recorded as what it was."""
    campaign = _locked(campaign)
    if actor is not None:
        _require(
            campaign_may_edit(user=actor, campaign=campaign)
            or campaign_may_approve(user=actor, campaign=campaign)
        )
    if campaign.state in (STATE.DONE, STATE.CANCELLED):
        raise ConflictError(_("活动已结束，不能取消。"))
    campaign.state = STATE.CANCELLED
    campaign.finished_at = timezone.now()
    campaign.save(update_fields=["state", "finished_at", "updated_at"])
    Delivery.objects.filter(campaign=campaign, state=Delivery.State.QUEUED).update(
        state=Delivery.State.CANCELLED
    )
    return campaign
