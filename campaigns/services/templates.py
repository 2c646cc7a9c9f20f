"""Message templates: who may write them, and their rules (campaigns.templating) checked on every save."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from campaigns import templating
from campaigns.models import Campaign, Channel, MessageTemplate
from campaigns.services.campaigns import unit_within
from core.errors import ConflictError
from users.models import User

STATE = Campaign.State


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("您没有此操作的权限。"))


TEMPLATE_FIELDS = ("name", "channel", "org_unit", "subject", "body", "html_body", "is_active")


def template_may_edit(*, user: User, template: MessageTemplate | None = None) -> bool:
    if not user.has_perm("campaigns.add_messagetemplate"):
        return False
    return template is None or unit_within(user=user, org_unit=template.org_unit)


def template_validate(*, template: MessageTemplate) -> None:
    problems = templating.template_problems(
        channel=template.channel, subject=template.subject, body=template.body, html_body=template.html_body
    )
    try:
        template.full_clean(exclude=["created_by", "org_unit"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            problems.setdefault(field, []).extend(messages)
    same_name = MessageTemplate.objects.filter(org_unit=template.org_unit_id, name=template.name)
    if template.name and same_name.exclude(pk=template.pk).exists():
        # the unique constraint (template_name_per_unit) would otherwise end the request in an IntegrityError
        problems.setdefault("name", []).append(_("本单位已有同名模板。"))
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def template_create(*, actor: User, data: dict[str, Any]) -> MessageTemplate:
    _require(template_may_edit(user=actor))
    fields = {k: v for k, v in data.items() if k in TEMPLATE_FIELDS}
    fields.setdefault("org_unit", actor.org_unit)
    if fields["org_unit"] is None or not unit_within(user=actor, org_unit=fields["org_unit"]):
        raise ValidationError({"org_unit": _("只能为本单位及下级单位创建模板。")})
    template = MessageTemplate(**fields, created_by=actor)
    if template.channel == Channel.SMS:
        template.body = (template.body or "").strip()
    template_validate(template=template)
    template.save()
    return template


@transaction.atomic
def template_update(*, actor: User, template: MessageTemplate, data: dict[str, Any]) -> MessageTemplate:
    template = MessageTemplate.objects.select_for_update().get(pk=template.pk)
    _require(template_may_edit(user=actor, template=template))
    changed = [
        k for k, v in data.items() if k in TEMPLATE_FIELDS and k != "org_unit" and getattr(template, k) != v
    ]
    for name in changed:
        setattr(template, name, data[name])
    if template.channel == Channel.SMS:
        template.body = (template.body or "").strip()
    template_validate(template=template)
    in_use = template.campaigns.filter(
        state__in=[STATE.APPROVED, STATE.SCHEDULED, STATE.SENDING, STATE.PAUSED]
    )
    if changed and in_use.exists():
        raise ConflictError(_("模板正被已审批或发送中的活动使用，请复制一个新模板再修改。"))
    template.save(update_fields=[*changed, "updated_at"])
    return template
