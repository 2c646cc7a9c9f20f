"""Reads of saved segments: which segments a user may see and build over, their members (one SQL statement, the
rules compiled by segments.rules) and the builder's preview."""

from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from accounts.models import Retailer
from accounts.selectors import retailer_count_capped, retailer_scope
from segmentation.segments.models import Segment
from segmentation.segments.rules import definition_compile, definition_validate
from users.models import OrgUnit, User

PREVIEW_SAMPLE_SIZE = 20
MEMBER_COUNT_CAP = 100_000  # a segment's page counts this far
PREVIEW_COUNT_CAP = 10_000  # the live count of the builder stops here: it runs on every change of a rule


class SegmentPreview(NamedTuple):
    count: int  # members the user may see, counted no further than PREVIEW_COUNT_CAP
    sample: list[Retailer]  # the first PREVIEW_SAMPLE_SIZE of them, newest first
    capped: bool  # True when there are more than PREVIEW_COUNT_CAP


def _units_below(unit: OrgUnit) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(path__startswith=unit.path)


def segment_unit_in_scope(*, user: User, unit: OrgUnit) -> bool:
    """Whether the user may see segments over `unit`: an admin any; others those over their own org unit, a unit
    below it, or a unit above it (a company-wide segment covers their territory too)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_company_admin:
        return True
    if not user.org_unit_id:
        return False
    mine = user.org_unit.path
    return unit.path.startswith(mine) or mine.startswith(unit.path)


def segment_unit_usable(*, user: User, unit: OrgUnit) -> bool:
    """Whether the user may build a segment over `unit`: an admin any; others their own org unit or one below."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_company_admin:
        return True
    return bool(user.org_unit_id) and unit.path.startswith(user.org_unit.path)


def segment_units_usable(*, user: User) -> QuerySet[OrgUnit]:
    """The units segment_unit_usable allows, for a form's choices."""
    from users.selectors import org_units_visible

    return org_units_visible(user=user).order_by("path")


def segment_list(*, user: User, filters: dict | None = None) -> QuerySet[Segment]:
    """Segments the user may see (see segment_unit_in_scope), newest change first. Filters: `q` (name contains),
    `org_unit` (an OrgUnit: segments over it or below it), `archived` (True: only archived ones; default: only
    live ones; None: both)."""
    filters = filters or {}
    qs = Segment.objects.select_related("org_unit", "created_by", "updated_by")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if not user.is_company_admin:
        if not user.org_unit_id:
            return qs.none()
        path = user.org_unit.path
        ancestors = [f"/{'/'.join(path.strip('/').split('/')[:i])}/" for i in range(1, path.count("/"))]
        qs = qs.filter(Q(org_unit__path__startswith=path) | Q(org_unit__path__in=ancestors))
    archived = filters.get("archived", False)
    if archived is not None:
        qs = qs.filter(is_archived=archived)
    if filters.get("q"):
        qs = qs.filter(name__icontains=filters["q"].strip())
    if filters.get("org_unit"):
        qs = qs.filter(org_unit__path__startswith=filters["org_unit"].path)
    return qs


def segment_get(*, user: User, segment_id: int) -> Segment:
    """A segment the user may see, archived or not; 404 otherwise (another territory's looks missing)."""
    return get_object_or_404(segment_list(user=user, filters={"archived": None}), pk=segment_id)


def _members(*, definition: dict, org_unit: OrgUnit, retailers: QuerySet[Retailer]) -> QuerySet[Retailer]:
    territory = Retailer.objects.filter(org_unit__in=_units_below(org_unit).values("id"))
    return retailers.filter(
        definition_compile(definition, within=territory),
        org_unit__in=_units_below(org_unit).values("id"),
        merged_into__isnull=True,
    )


def segment_members(*, segment: Segment) -> QuerySet[Retailer]:
    """Every retailer the segment matches now: inside its org unit's subtree, not merged into another record,
    whoever asks (campaigns call this at launch to snapshot their audience). One SQL statement; the rows named
    by its rules (org units) are looked up first."""
    return _members(
        definition=segment.definition, org_unit=segment.org_unit, retailers=Retailer.objects.all()
    )


def segment_members_for_user(*, user: User, segment: Segment) -> QuerySet[Retailer]:
    """The members this user may see (segment_members within retailer_scope); none if the user may not see the
    segment at all."""
    if not segment_unit_in_scope(user=user, unit=segment.org_unit):
        return Retailer.objects.none()
    return _members(
        definition=segment.definition, org_unit=segment.org_unit, retailers=retailer_scope(user=user)
    )


def segment_member_count(*, user: User, segment: Segment) -> tuple[int, bool]:
    """(members the user may see, capped at MEMBER_COUNT_CAP; whether there are more)."""
    return retailer_count_capped(segment_members_for_user(user=user, segment=segment), cap=MEMBER_COUNT_CAP)


def segment_preview(*, user: User, definition: dict, org_unit: OrgUnit | None = None) -> SegmentPreview:
    """Count and first members of an unsaved definition over `org_unit` (default: the user's own; an admin
    without one: the whole company), as this user may see them. ValidationError (naming each rule's path) for a
    bad definition (under "definition") or a unit the user may not use (under "org_unit")."""
    try:
        definition = definition_validate(definition, user=user)
    except ValidationError as exc:
        raise ValidationError({"definition": exc.error_list}) from exc
    if org_unit is None:
        org_unit = user.org_unit or OrgUnit.objects.filter(parent__isnull=True).order_by("id").first()
    if org_unit is None or not segment_unit_usable(user=user, unit=org_unit):
        raise ValidationError({"org_unit": _("无权使用此单位。")})
    members = _members(definition=definition, org_unit=org_unit, retailers=retailer_scope(user=user))
    count, capped = retailer_count_capped(members, cap=PREVIEW_COUNT_CAP)
    sample = list(members.select_related("route__manager").order_by("-id")[:PREVIEW_SAMPLE_SIZE])
    return SegmentPreview(count=count, sample=sample, capped=capped)
