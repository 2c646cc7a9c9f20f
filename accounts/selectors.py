"""Reads of retailers. `retailer_scope` is the one place that decides which retailers a user may see."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import ConsentEvent, Retailer, RetailerEvent
from users.models import User

PAGE_SIZE = 50
COUNT_CAP = 10_000


def retailer_scope(*, user: User) -> QuerySet[Retailer]:
    """Customer manager: the retailers on their routes. Supervisor and integration: their org unit's subtree.
    Admin: all. Anyone else, or an inactive login: nothing."""
    retailers = Retailer.objects.all()
    if not user.is_authenticated or not user.is_active:
        return retailers.none()
    if user.is_company_admin:
        return retailers
    if user.role == User.Role.MANAGER:
        return retailers.filter(route__manager=user)
    if user.role in (User.Role.SUPERVISOR, User.Role.INTEGRATION) and user.org_unit_id:
        return retailers.filter(org_unit__path__startswith=user.org_unit.path)
    return retailers.none()


def retailer_list(*, user: User, filters: dict | None = None) -> QuerySet[Retailer]:
    from accounts.filters import RetailerFilter

    qs = retailer_scope(user=user).select_related("route__manager", "org_unit")
    return RetailerFilter(filters or {}, queryset=qs, user=user).qs


def retailer_get(*, user: User, retailer_id: int) -> Retailer:
    """The retailer if the user may see it; 404 otherwise, so another territory's record is indistinguishable
    from a missing one."""
    qs = retailer_scope(user=user).select_related("route__manager", "org_unit__parent__parent")
    return get_object_or_404(qs, pk=retailer_id)


def retailer_consent_history(*, retailer: Retailer) -> QuerySet[ConsentEvent]:
    return retailer.consent_events.select_related("recorded_by")[:50]


def retailer_history(*, retailer: Retailer, limit: int = 50):
    """Every recorded change of this retailer, newest first, with who made it and what changed."""
    events = (
        retailer.events.order_by("-pgh_id")
        .select_related("pgh_context")
        .only("pgh_id", "pgh_created_at", "pgh_label", "pgh_context", *_tracked_field_names())
    )[: limit + 1]
    rows = list(events)
    # Who made each change: the users named in the events' contexts, fetched in one query.
    user_ids = {
        e.pgh_context.metadata.get("user") for e in rows if e.pgh_context_id and e.pgh_context.metadata
    } - {None}
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids).only("username", "display_name")}
    result = []
    for index, event in enumerate(rows[:limit]):
        previous = rows[index + 1] if index + 1 < len(rows) else None
        result.append(
            {
                "at": event.pgh_created_at,
                "label": event.pgh_label,
                "who": _context_user(event, names),
                "changes": _diff(previous, event) if previous is not None else [],
            }
        )
    return result


def _tracked_field_names() -> list[str]:
    return [f.attname for f in RetailerEvent._meta.concrete_fields if not f.name.startswith("pgh_")]


_SENSITIVE = {"owner_id_number", "bank_account", "mobile"}


def _diff(before, after) -> list[dict]:
    from core.masking import mask_mobile, mask_tail

    changes = []
    for field in Retailer._meta.concrete_fields:
        if field.attname not in _tracked_field_names() or field.attname in ("id",):
            continue
        old, new = getattr(before, field.attname), getattr(after, field.attname)
        if old == new:
            continue
        if field.attname in _SENSITIVE:
            masker = mask_mobile if field.attname == "mobile" else mask_tail
            old, new = masker(old or ""), masker(new or "")
        elif field.choices:
            labels = dict(field.flatchoices)
            old, new = labels.get(old, old), labels.get(new, new)
        changes.append(
            {
                "field": field.verbose_name,
                "old": "" if old is None else old,
                "new": "" if new is None else new,
            }
        )
    return changes


def _context_user(event, names: dict[int, str]) -> str:
    """Who made the change, else what (a system job's words, in the reader's language when it left a message)."""
    from core.messages import system_message_text

    context = event.pgh_context.metadata if event.pgh_context_id else {}
    if not context:
        return ""
    return names.get(context.get("user")) or system_message_text(
        context.get("message"), text=context.get("source", "")
    )


@dataclass
class Page:
    rows: list
    next_after: int | None
    prev_before: int | None


def retailer_page(
    qs: QuerySet[Retailer], *, after: int | None = None, before: int | None = None, size: int = PAGE_SIZE
) -> Page:
    """Keyset pagination on the primary key, newest first: no OFFSET and no COUNT(*). `qs` may be of instances or
    of values (dicts with an "id")."""
    qs = qs.order_by("-id")
    if before is not None:
        rows = list(qs.filter(id__gt=before).order_by("id")[: size + 1])
        has_more_before = len(rows) > size
        rows = list(reversed(rows[:size]))
        return Page(
            rows=rows,
            next_after=_row_id(rows[-1]) if rows else None,
            prev_before=_row_id(rows[0]) if rows and has_more_before else None,
        )
    if after is not None:
        qs = qs.filter(id__lt=after)
    rows = list(qs[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    return Page(
        rows=rows,
        next_after=_row_id(rows[-1]) if rows and has_more else None,
        prev_before=_row_id(rows[0]) if rows and after is not None else None,
    )


def _row_id(row) -> int:
    return row["id"] if isinstance(row, dict) else row.id


def retailer_count_capped(qs: QuerySet[Retailer], *, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows match, counting no further than `cap` (asked for on demand, never on every page)."""
    n = qs.order_by()[: cap + 1].count()
    return min(n, cap), n > cap


# The data-quality issues a live (not closed) record can have: one definition for the counters on the
# data-quality page and for the retailer list's `issue` filter behind each counter, so a count and its list agree.
def retailer_quality_issues() -> dict:
    from django.db.models import Q
    from django.utils.translation import gettext_lazy

    return {
        "no_manager": (gettext_lazy("没有客户经理"), Q(route__isnull=True) | Q(route__manager__isnull=True)),
        "licence_mismatch": (
            gettext_lazy("许可证非有效但客户正常"),
            Q(status="active") & ~Q(licence_status="valid"),
        ),
        "no_location": (gettext_lazy("缺少经纬度"), Q(latitude__isnull=True) | Q(longitude__isnull=True)),
        "no_tier": (gettext_lazy("未定档"), Q(tier__isnull=True)),
        "no_consent": (gettext_lazy("未授权任何消息渠道"), Q(sms_consent=False, email_consent=False)),
    }


def retailer_quality_filter(qs: QuerySet[Retailer], *, issue: str) -> QuerySet[Retailer]:
    """The live records that have `issue` (a key of retailer_quality_issues)."""
    _label, condition = retailer_quality_issues()[issue]
    return qs.exclude(status=Retailer.Status.CLOSED).filter(condition)
