"""Every write of violations (专卖违规) and the credit grade they set: record, void (never delete), and the
set-based recompute of every retailer's grade under the active CreditRule."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.compliance.models import CreditRule, Violation
from accounts.compliance.selectors import CREDIT_GRADED_SQL, credit_graded_parameters
from accounts.models import Retailer
from core.errors import ConflictError
from users.models import User

VIOLATION_FIELDS = ("occurred_on", "type", "penalty", "fine_fen", "suspension_days", "source", "notes")


def credit_rule_active() -> CreditRule:
    """The rule in force. A database without any rule (its data migration's row flushed away) gets that same
    default back; one whose rules were all switched off by an administrator is refused, not overridden."""
    rule = CreditRule.objects.filter(is_active=True).first()
    if rule is None and not CreditRule.objects.exists():
        rule, _created = CreditRule.objects.get_or_create(is_active=True, defaults={"name": "默认信用规则"})
    if rule is None:
        raise ConflictError(_("没有启用的信用等级规则，请在系统管理中启用一条。"))
    return rule


@transaction.atomic
def violation_record(*, actor: User, retailer: Retailer, data: dict) -> Violation:
    """Record a violation seen at `retailer` (the caller has checked the retailer is in the actor's territory) and
    recompute its credit grade at once. A customer manager records only what they saw on a visit."""
    if not actor.has_perm("accounts.add_violation"):
        raise PermissionDenied(_("您没有此操作的权限。"))
    values = {k: data.get(k) for k in VIOLATION_FIELDS if k in data}
    if actor.role == User.Role.MANAGER and values.get("source") != Violation.Source.VISIT:
        raise ValidationError({"source": _("客户经理只能登记走访中发现的违规。")})
    values["notes"] = (values.get("notes") or "").strip()
    violation = Violation(retailer=retailer, recorded_by=actor, **values)
    violation.full_clean()
    violation.save()
    credit_grades_recompute(retailer_ids=[retailer.pk])
    return violation


@transaction.atomic
def violation_void(*, actor: User, violation: Violation, reason: str) -> Violation:
    """Void a mistaken record (kept, with who, when and why) and recompute the retailer's grade."""
    if not actor.has_perm("accounts.change_violation"):
        raise PermissionDenied(_("您没有此操作的权限。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"void_reason": _("请填写作废原因。")})
    violation = Violation.objects.select_for_update().get(pk=violation.pk)
    if violation.voided_at is not None:
        raise ConflictError(_("该违规记录已作废。"))
    if actor.role == User.Role.MANAGER and violation.recorded_by_id != actor.pk:
        raise PermissionDenied(_("客户经理只能作废自己登记的记录。"))
    violation.voided_at = timezone.now()
    violation.voided_by = actor
    violation.void_reason = reason[:200]
    violation.save(update_fields=["voided_at", "voided_by", "void_reason"])
    credit_grades_recompute(retailer_ids=[violation.retailer_id])
    return violation


@transaction.atomic
def credit_rule_update(*, actor: User, rule: CreditRule, data: dict) -> CreditRule:
    """Edit the rule (thresholds must stay ordered); every grade follows at once (one UPDATE) when it is the rule in
    force."""
    if not actor.has_perm("accounts.change_creditrule"):
        raise PermissionDenied(_("您没有此操作的权限。"))
    rule = CreditRule.objects.select_for_update().get(pk=rule.pk)
    fields = [
        f.name
        for f in CreditRule._meta.concrete_fields
        if f.name in data and f.name not in ("id", "updated_at")
    ]
    for name in fields:
        setattr(rule, name, data[name])
    rule.full_clean()
    rule.save(update_fields=[*fields, "updated_at"])
    if rule.is_active:
        credit_grades_recompute()
    return rule


# One statement for every retailer (or a few): points in the window and months clean, graded by the rule, written
# only where the grade changes (the history triggers record each change: that is the credit-grade history).
CREDIT_RECOMPUTE_SQL = (
    CREDIT_GRADED_SQL
    + """
UPDATE accounts_retailer r SET credit_grade = g.grade, updated_at = now()
FROM graded g WHERE r.id = g.id AND r.credit_grade <> g.grade
RETURNING r.id, g.old_grade, g.grade
"""
)


def credit_grades_recompute(
    *, retailer_ids: list[int] | None = None, today: datetime.date | None = None
) -> list[tuple[int, str, str]]:
    """Grade every retailer (or those given) under the active rule in one UPDATE; returns (id, old, new) of the
    rows that changed. Violations count while dated after `today` minus the window (a violation exactly
    window_months old has dropped out)."""
    rule = credit_rule_active()
    today = today or timezone.localdate()
    cases, where, params = credit_graded_parameters(rule=rule, today=today, retailer_ids=retailer_ids)
    with transaction.atomic(), connection.cursor() as cursor:
        # the CASE arms are the model's own choice values and integers: no outside input
        cursor.execute(CREDIT_RECOMPUTE_SQL.format(cases=cases, where=where), params)
        return sorted(cursor.fetchall())
