"""Every write of saved segments: create, change, archive. A segment covers one org unit's subtree; the rule
format and the field catalogue are in segments.rules and segments.rule_fields, the reads (members, preview)
in segments.selectors.

Who may write: a user with segmentation.add_segment creates segments over their own org unit or a unit below
it (an admin over any unit); changing and archiving needs segmentation.change_segment on a segment over such a
unit, and a customer manager may change only the segments they created.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import ConflictError
from segmentation.segments.models import Segment
from segmentation.segments.rules import definition_validate
from segmentation.segments.selectors import segment_unit_usable
from users.models import OrgUnit, User

CREATE_PERMISSION = "segmentation.add_segment"
CHANGE_PERMISSION = "segmentation.change_segment"


def segment_may_create(*, user: User) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm(CREATE_PERMISSION)


def segment_may_change(*, user: User, segment: Segment) -> bool:
    if not (user.is_authenticated and user.is_active and user.has_perm(CHANGE_PERMISSION)):
        return False
    if not segment_unit_usable(user=user, unit=segment.org_unit):
        return False
    return user.role != User.Role.MANAGER or segment.created_by_id == user.pk


def _validated(segment: Segment, *, user: User) -> None:
    """full_clean (fields, the name's uniqueness in its unit, the rules) plus what only this user may use: the
    unit and the rows of other tables the rules name. Every problem at once, as a dict by field."""
    errors: dict[str, list] = {}
    if segment.org_unit_id and not segment_unit_usable(user=user, unit=segment.org_unit):
        errors["org_unit"] = [ValidationError(_("只能为本单位或下级单位建立分群。"), code="org_unit")]
    try:
        segment.full_clean()
    except ValidationError as exc:
        for name, items in exc.error_dict.items():
            errors.setdefault(name, []).extend(items)
    if "definition" not in errors:
        try:
            segment.definition = definition_validate(segment.definition, user=user)
        except ValidationError as exc:
            errors["definition"] = exc.error_list
    if errors:
        raise ValidationError(errors)


def _save(segment: Segment, **kwargs) -> None:
    try:
        with transaction.atomic():
            segment.save(**kwargs)
    except IntegrityError as exc:  # a concurrent save took the name first
        raise ValidationError({"name": [_("本单位已有同名分群。")]}) from exc


@transaction.atomic
def segment_create(
    *, user: User, name: str, definition: dict, org_unit: OrgUnit | None = None, description: str = ""
) -> Segment:
    """A new segment over `org_unit` (default: the user's own). ValidationError names each bad field and rule."""
    if not segment_may_create(user=user):
        raise PermissionDenied(_("您没有建立分群的权限。"))
    org_unit = org_unit or user.org_unit
    if org_unit is None:
        raise ValidationError({"org_unit": [_("请选择分群覆盖的单位。")]})
    segment = Segment(
        name=(name or "").strip(),
        description=(description or "").strip(),
        org_unit=org_unit,
        definition=definition,
        created_by=user,
        updated_by=user,
    )
    _validated(segment, user=user)
    _save(segment)
    return segment


@transaction.atomic
def segment_update(
    *,
    user: User,
    segment: Segment,
    name: str | None = None,
    description: str | None = None,
    definition: dict | None = None,
    org_unit: OrgUnit | None = None,
) -> Segment:
    """Change the given fields (None leaves one as it is). Archived segments are read-only (ConflictError)."""
    segment = Segment.objects.select_for_update().select_related("org_unit").get(pk=segment.pk)
    if not segment_may_change(user=user, segment=segment):
        raise PermissionDenied(_("您没有修改此分群的权限。"))
    if segment.is_archived:
        raise ConflictError(_("已归档的分群不能修改。"))
    changes = {"name": name, "description": description, "definition": definition, "org_unit": org_unit}
    changed = [field for field, value in changes.items() if value is not None]
    for field in changed:
        value = changes[field]
        setattr(segment, field, value.strip() if isinstance(value, str) else value)
    segment.updated_by = user
    _validated(segment, user=user)
    _save(segment, update_fields=[*changed, "updated_by", "updated_at"])
    return segment


@transaction.atomic
def segment_archive(*, user: User, segment: Segment) -> Segment:
    """Retire a segment: it leaves the lists and gives its name back; campaigns that used it keep their
    snapshots. Archiving an archived segment changes nothing."""
    segment = Segment.objects.select_for_update().select_related("org_unit").get(pk=segment.pk)
    if not segment_may_change(user=user, segment=segment):
        raise PermissionDenied(_("您没有修改此分群的权限。"))
    if not segment.is_archived:
        segment.is_archived = True
        segment.updated_by = user
        segment.save(update_fields=["is_archived", "updated_by", "updated_at"])
    return segment
