"""The weekly digest per supervisor: what changed, what needs action, the top 10 items (in-app and email)."""

import datetime

from django.urls import reverse
from django.utils import timezone

from cockpit.models import Notice, Period
from cockpit.periods import label
from users.models import User

DIGEST_KPIS = ("active", "order_rate", "amount", "avg_price", "visit_coverage", "resolution_rate", "at_risk")
TOP_ITEMS = 10


def digest_params(*, supervisor: User, today: datetime.date | None = None) -> dict:
    """The digest of the supervisor's unit for the last complete week, as notice parameters."""
    from cockpit.selectors.cockpit import RED, cockpit_get, cockpit_unit, default_start
    from feedback.complaints.selectors import complaint_scope, overdue_q
    from segmentation.scoring.models import RetailerScore, ScoringEvent

    today = today or timezone.localdate()
    start = default_start(Period.WEEK, today)
    unit = cockpit_unit(user=supervisor)
    cockpit = cockpit_get(unit=unit, period=Period.WEEK, start=start)
    changes = [
        {"kpi": c.kpi.code, "value": c.shown, "previous": c.previous_shown, "change": c.change}
        for c in cockpit.cards
        if c.kpi.code in DIGEST_KPIS
    ]
    red = [c for c in cockpit.cards if c.status == RED]
    red_kpis = [{"kpi": c.kpi.code, "value": c.shown, "target": c.target_shown} for c in red]
    items = [{"kind": "kpi", **row} for row in red_kpis]
    now = timezone.now()
    overdue = complaint_scope(user=supervisor).filter(overdue_q(now=now))
    overdue_count = overdue.count()
    for complaint in overdue.select_related("retailer", "category").order_by("opened_at", "id")[:TOP_ITEMS]:
        items.append(
            {
                "kind": "complaint",
                "id": complaint.pk,
                "shop": complaint.retailer.shop_name,
                "category": complaint.category.name,
                "url": complaint.get_absolute_url(),
            }
        )
    week_from = datetime.datetime.combine(start, datetime.time.min, tzinfo=timezone.get_current_timezone())
    at_risk = ScoringEvent.objects.filter(
        kind=ScoringEvent.Kind.BECAME_AT_RISK,
        at__gte=week_from,
        retailer__org_unit__path__startswith=unit.path,
    ).values_list("retailer_id", "retailer__shop_name", "retailer__route__manager__display_name")
    at_risk = list(at_risk[:200])
    monetary = dict(
        RetailerScore.objects.filter(retailer_id__in=[r[0] for r in at_risk]).values_list(
            "retailer_id", "monetary_fen"
        )
    )
    at_risk.sort(key=lambda r: -monetary.get(r[0], 0))
    for retailer_id, shop, manager in at_risk[:TOP_ITEMS]:
        items.append(
            {
                "kind": "at_risk",
                "id": retailer_id,
                "shop": shop,
                "manager": manager or "—",
                "url": reverse("accounts:retailer-detail", args=[retailer_id]),
            }
        )
    return {
        "unit": unit.name,
        "unit_id": unit.pk,
        "week": label(Period.WEEK, start),
        "start": start.isoformat(),
        "changes": changes,
        "red": len(red),
        "red_kpis": red_kpis,
        "overdue": overdue_count,
        "items": items[:TOP_ITEMS],
    }


def weekly_digests_send(*, today: datetime.date | None = None) -> int:
    """One digest per active supervisor with a unit and per week (a second run the same week sends nothing)."""
    from cockpit.selectors.cockpit import default_start
    from cockpit.services.notices import notices_create

    today = today or timezone.localdate()
    week = label(Period.WEEK, default_start(Period.WEEK, today))
    sent = 0
    supervisors = User.objects.filter(role=User.Role.SUPERVISOR, is_active=True, org_unit__isnull=False)
    done = set(
        Notice.objects.filter(kind=Notice.Kind.DIGEST, params__week=week).values_list(
            "recipient_id", flat=True
        )
    )
    for supervisor in supervisors.select_related("org_unit"):
        if supervisor.pk in done:
            continue
        params = digest_params(supervisor=supervisor, today=today)
        notices_create(
            recipients=[supervisor],
            kind=Notice.Kind.DIGEST,
            params=params,
            url=reverse("cockpit:cockpit") + f"?unit={params['unit_id']}",
        )
        sent += 1
    return sent
