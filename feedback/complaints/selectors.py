"""Reads of complaints: who may see which case (scoping), lists, overdue cases, supervisors to escalate to."""

import datetime
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.selectors import retailer_scope
from feedback.appeals.models import TIER_APPEAL_CATEGORY
from feedback.complaints.models import Complaint, ComplaintCategory, ComplaintEvent
from users.models import OrgUnit, User


def _ancestor_paths(path: str) -> list[str]:
    """ "/1/4/9/" → ["/1/", "/1/4/", "/1/4/9/"]."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def unit_supervisor(*, org_unit: OrgUnit | None, exclude: Iterable[int] = ()) -> User | None:
    """The supervisor nearest above (or at) an org unit: the deepest unit on its ancestry that has an active
    supervisor; the lowest id among several in one unit."""
    if org_unit is None:
        return None
    candidates = (
        User.objects.filter(
            role=User.Role.SUPERVISOR, is_active=True, org_unit__path__in=_ancestor_paths(org_unit.path)
        )
        .exclude(pk__in=list(exclude))
        .select_related("org_unit")
    )
    return max(candidates, key=lambda u: (len(u.org_unit.path), -u.pk), default=None)


def complaint_scope(*, user: User) -> QuerySet[Complaint]:
    """Cases a user may see: those of the retailers they may see, plus the ones assigned to them, plus (for a
    supervisor) the ones queued in their org subtree — but never, for a manager, a complaint about their own
    conduct. Admin: all."""
    complaints = Complaint.objects.all()
    if not user.is_authenticated or not user.is_active:
        return complaints.none()
    if user.is_company_admin:
        return complaints
    visible = Q(retailer__in=retailer_scope(user=user)) | Q(assignee=user)
    if user.role == User.Role.SUPERVISOR and user.org_unit_id:
        visible |= Q(queue_unit__path__startswith=user.org_unit.path)
    complaints = complaints.filter(visible)
    if user.role == User.Role.MANAGER:
        complaints = complaints.exclude(about_own_conduct_q(user_id=user.pk))
    return complaints


def about_own_conduct_q(*, user_id: int) -> Q:
    """Complaints about this staff member's own conduct: the supervisor's case, never shown to them — not in their
    lists, and not through a retailer's link sent at their request (feedback.portal.links)."""
    # a tier appeal goes to the supervisor because the supervisor decides tiers, not because it is about the manager
    return Q(customer_manager_id=user_id) & (
        (Q(category__routing=ComplaintCategory.Routing.SUPERVISOR) & ~Q(category__code=TIER_APPEAL_CATEGORY))
        | Q(category__code="cm_conduct")
    )


def complaint_get(*, user: User, complaint_id: int) -> Complaint:
    if not 0 < int(complaint_id) < 2**63:
        raise Http404
    qs = complaint_scope(user=user).select_related(
        "retailer", "category", "assignee", "queue_unit", "customer_manager", "opened_by", "product", "order"
    )
    return get_object_or_404(qs, pk=complaint_id)


def overdue_q(*, now: datetime.datetime) -> Q:
    """Past the response deadline without a response yet, or open past the resolution deadline."""
    return Q(status__in=Complaint.AWAITING_RESPONSE, responded_at__isnull=True, response_due__lt=now) | Q(
        status__in=Complaint.OPEN_STATUSES, resolution_due__lt=now
    )


def complaints_overdue(
    *,
    retailer_ids: Iterable[int] | None = None,
    user: User | None = None,
    now: datetime.datetime | None = None,
) -> QuerySet[Complaint]:
    """Open complaints past their response deadline (not yet taken up) or their resolution deadline, oldest
    deadline first; only the given retailers' and only what `user` may see when those are given."""
    qs = Complaint.objects.filter(overdue_q(now=now or timezone.now()))
    if retailer_ids is not None:
        qs = qs.filter(retailer_id__in=list(retailer_ids))
    if user is not None:
        qs = qs.filter(pk__in=complaint_scope(user=user).values("pk"))
    return qs.select_related("retailer", "category", "assignee").order_by("resolution_due", "id")


def complaint_timeline(*, complaint: Complaint, public: bool = False) -> QuerySet[ComplaintEvent]:
    events = complaint.events.select_related("actor")
    if public:
        events = events.filter(is_internal=False)
    return events


def categories_active() -> QuerySet[ComplaintCategory]:
    return ComplaintCategory.objects.filter(is_active=True).select_related("queue_unit")


# --- lists -------------------------------------------------------------------------------------------------------

PAGE_SIZE = 30


def complaint_list(*, user: User, filters: dict | None = None, now: datetime.datetime | None = None):
    """The complaints a user may see, filtered (q, status, category, priority, channel, assignee, overdue,
    retailer, unit, manager), newest first — ready for keyset pagination on (opened_at, id)."""
    # NUL cannot reach PostgreSQL in a string literal; nobody types it
    filters = {key: str(value or "").replace("\x00", "") for key, value in (filters or {}).items()}
    qs = complaint_scope(user=user).select_related("retailer", "category", "assignee")
    if q := (filters.get("q") or "").strip():
        text = (
            Q(retailer__shop_name__icontains=q) | Q(retailer__customer_code=q) | Q(description__icontains=q)
        )
        if q.lstrip("#").isdigit() and int(q.lstrip("#")) < 2**63:
            text |= Q(pk=int(q.lstrip("#")))
        qs = qs.filter(text)
    if status := filters.get("status"):
        qs = qs.filter(status__in=Complaint.OPEN_STATUSES) if status == "open" else qs.filter(status=status)
    for field in ("priority", "channel"):
        if value := filters.get(field):
            qs = qs.filter(**{field: value})
    if category := filters.get("category"):
        qs = qs.filter(category__code=category)
    if assignee := filters.get("assignee"):
        if assignee == "me":
            qs = qs.filter(assignee=user)
        elif assignee == "none":
            qs = qs.filter(assignee__isnull=True)
        elif assignee.isdigit() and int(assignee) < 2**63:
            qs = qs.filter(assignee_id=int(assignee))
    unit = str(filters.get("unit") or "")
    if unit.isdigit() and int(unit) < 2**63:
        # the cockpit's drill-down: the cases of one unit's retailers (the scope above still applies)
        qs = qs.filter(retailer__org_unit__path__contains=f"/{int(unit)}/")
    manager = str(filters.get("manager") or "")
    if manager.isdigit() and int(manager) < 2**63:
        qs = qs.filter(retailer__route__manager_id=int(manager))
    retailer = str(filters.get("retailer") or "")
    if retailer.isdigit() and int(retailer) < 2**63:
        qs = qs.filter(retailer_id=int(retailer))
    if str(filters.get("needs_call", "")).lower() in ("1", "true", "yes", "on"):
        qs = qs.filter(needs_supervisor_call=True)
    if str(filters.get("overdue", "")).lower() in ("1", "true", "yes", "on"):
        qs = qs.filter(overdue_q(now=now or timezone.now()))
    return qs.order_by("-opened_at", "-id")


def keyset_page(qs, *, cursor: str | None, size: int = PAGE_SIZE):
    """One page of a list ordered by (-opened_at, -id) after `cursor` ("<epoch micros>.<id>"), and the next
    cursor (None on the last page). No COUNT."""
    if cursor:
        try:
            micros, pk = (int(part) for part in cursor.split(".", 1))
            after = datetime.datetime.fromtimestamp(micros / 1_000_000, tz=datetime.UTC)
        except (ValueError, OverflowError, OSError):
            after = None  # a mangled cursor starts from the top rather than failing
        if after is not None and 0 < pk < 2**63:
            qs = qs.filter(Q(opened_at__lt=after) | Q(opened_at=after, id__lt=pk))
    rows = list(qs[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = f"{int(last.opened_at.timestamp() * 1_000_000)}.{last.pk}"
    return rows, next_cursor


def retailer_open_complaints(*, user: User, retailer_id: int, limit: int = 5) -> QuerySet[Complaint]:
    return (
        complaint_scope(user=user)
        .filter(retailer_id=retailer_id, status__in=Complaint.OPEN_STATUSES)
        .select_related("category", "assignee")
        .order_by("-opened_at", "-id")[:limit]
    )


def assignee_choices(*, complaint: Complaint) -> QuerySet[User]:
    """Staff who may take a case: the active managers and supervisors of its queue unit's subtree and above."""
    unit = complaint.queue_unit
    qs = User.objects.filter(
        is_active=True, role__in=[User.Role.MANAGER, User.Role.SUPERVISOR], org_unit__isnull=False
    ).filter(Q(org_unit__path__startswith=unit.path) | Q(org_unit__path__in=_ancestor_paths(unit.path)))
    if complaint.category.routing == ComplaintCategory.Routing.SUPERVISOR and complaint.customer_manager_id:
        qs = qs.exclude(pk=complaint.customer_manager_id)
    return qs.order_by("role", "display_name", "username")


# --- the retailer's own view (behind its link) ------------------------------------------------------------------------

PUBLIC_LIST_SIZE = 30


def complaint_hidden_from(*, complaint: Complaint, user_id: int | None) -> bool:
    """True when the complaint is about the conduct of staff member `user_id`."""
    if user_id is None:
        return False
    return Complaint.objects.filter(about_own_conduct_q(user_id=user_id), pk=complaint.pk).exists()


def _retailer_own(*, retailer, hidden_from: int | None) -> QuerySet[Complaint]:
    complaints = Complaint.objects.filter(retailer=retailer)
    if hidden_from is not None:
        complaints = complaints.exclude(about_own_conduct_q(user_id=hidden_from))
    return complaints.select_related("category")


def retailer_complaints(
    *, retailer, hidden_from: int | None = None, limit: int = PUBLIC_LIST_SIZE
) -> QuerySet[Complaint]:
    """The retailer's own complaints, newest first; through a link sent at a staff member's request
    (`hidden_from` = that member), without the complaints about that member's own conduct."""
    return _retailer_own(retailer=retailer, hidden_from=hidden_from).order_by("-opened_at", "-id")[:limit]


def retailer_complaint_get(*, retailer, complaint_id: int, hidden_from: int | None = None) -> Complaint:
    """One of this retailer's own complaints; another retailer's (or one hidden from the link's sender) answers 404
    like a missing one."""
    if not 0 < int(complaint_id) < 2**63:
        raise Http404
    return get_object_or_404(_retailer_own(retailer=retailer, hidden_from=hidden_from), pk=complaint_id)


DUPLICATE_WINDOW = datetime.timedelta(minutes=10)


def complaint_recent_duplicate(*, retailer, category_code: str, description: str) -> Complaint | None:
    """The same retailer's identical complaint filed in the last few minutes (a double tap, a resent form)."""
    return (
        Complaint.objects.filter(
            retailer=retailer,
            category__code=category_code,
            description=(description or "").strip(),
            opened_at__gte=timezone.now() - DUPLICATE_WINDOW,
        )
        .order_by("-opened_at")
        .first()
    )
