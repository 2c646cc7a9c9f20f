"""Reads for outreach. Scoping: a campaign is visible to whoever may edit its unit (supervisors of the unit or
above, admins) and to anyone whose retailers it reaches (accounts.selectors.retailer_scope decides those);
deliveries only for the retailers the user may see."""

import datetime
import math
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import retailer_scope
from campaigns.models import Campaign, CampaignUplift, Delivery, Journey, MessageTemplate
from users.models import User

Z_95 = 1.959963984540054


def _unit_q(user: User, prefix: str = "") -> Q:
    return Q(**{f"{prefix}org_unit__path__startswith": user.org_unit.path})


def campaign_list(*, user: User) -> QuerySet[Campaign]:
    qs = Campaign.objects.select_related(
        "template", "org_unit", "created_by", "approved_by", "journey", "uplift"
    )
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_company_admin:
        return qs
    reaches = Exists(
        Delivery.objects.filter(campaign=OuterRef("pk"), retailer__in=retailer_scope(user=user).values("id"))
    )
    if user.role == User.Role.SUPERVISOR and user.org_unit_id:
        return qs.filter(_unit_q(user) | reaches)
    return qs.filter(reaches)


def campaign_seen_whole(*, user: User, campaign: Campaign) -> bool:
    """Whether the user sees every delivery of the campaign (its unit's supervisors, admins) or only those to
    their own retailers (a customer manager)."""
    if user.is_company_admin:
        return True
    return (
        user.role == User.Role.SUPERVISOR
        and bool(user.org_unit_id)
        and campaign.org_unit.path.startswith(user.org_unit.path)
    )


def campaign_get(*, user: User, campaign_id: int) -> Campaign:
    return get_object_or_404(campaign_list(user=user), pk=campaign_id)


def delivery_list(*, user: User, campaign: Campaign | None = None) -> QuerySet[Delivery]:
    qs = Delivery.objects.filter(retailer__in=retailer_scope(user=user).values("id"))
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs.select_related("retailer", "campaign")


def template_list(*, user: User) -> QuerySet[MessageTemplate]:
    """Templates of the user's unit, its sub-units, and the units above it (company-wide templates)."""
    qs = MessageTemplate.objects.select_related("org_unit", "created_by")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_company_admin:
        return qs
    if not user.org_unit_id or not user.has_perm("campaigns.view_messagetemplate"):
        return qs.none()
    ancestors = [int(p) for p in user.org_unit.path.strip("/").split("/") if p]
    return qs.filter(_unit_q(user) | Q(org_unit_id__in=ancestors))


def template_get(*, user: User, template_id: int) -> MessageTemplate:
    return get_object_or_404(template_list(user=user), pk=template_id)


def journey_list(*, user: User) -> QuerySet[Journey]:
    qs = Journey.objects.select_related("org_unit", "template")
    if user.is_company_admin:
        return qs
    if not user.org_unit_id or not user.has_perm("campaigns.view_journey"):
        return qs.none()
    return qs.filter(_unit_q(user))


# ---- results ------------------------------------------------------------------------------------------------------
COUNTED = ("queued", "sending", "sent", "delivered", "failed", "bounced", "skipped", "holdout", "cancelled")


def campaign_card_counts(*, campaign_ids: list[int], user: User) -> dict[int, dict]:
    """For the campaign cards of one list page: sent (reached the gateway), delivered and clicked per campaign, in
    one GROUP BY over that page's campaigns, counted over the retailers the user may see."""
    qs = Delivery.objects.filter(campaign_id__in=campaign_ids)
    if not user.is_company_admin:
        qs = qs.filter(retailer__in=retailer_scope(user=user).values("id"))
    rows = (
        qs.values("campaign_id")
        .annotate(
            sent=Count("id", filter=Q(state__in=["sent", "delivered", "bounced"])),
            delivered=Count("id", filter=Q(state="delivered")),
            clicked=Count("id", filter=Q(clicked_at__isnull=False)),
        )
        .order_by()
    )
    return {row.pop("campaign_id"): row for row in rows}


def campaign_counts(*, campaign: Campaign, user: User | None = None) -> dict:
    """Deliveries by state and skip reason, clicks, and the opted-out count (one GROUP BY)."""
    qs = Delivery.objects.filter(campaign=campaign)
    if user is not None and not campaign_seen_whole(user=user, campaign=campaign):
        qs = qs.filter(retailer__in=retailer_scope(user=user).values("id"))
    counts = dict.fromkeys(COUNTED, 0)
    reasons: dict[str, int] = {}
    clicked = 0
    for state, reason, n, clicks in (
        qs.values_list("state", "reason")
        .annotate(n=Count("id"), clicks=Count("id", filter=Q(clicked_at__isnull=False)))
        .order_by()
    ):
        counts[state] = counts.get(state, 0) + n
        clicked += clicks
        if state == Delivery.State.SKIPPED:
            reasons[reason] = reasons.get(reason, 0) + n
    total = sum(counts.values())
    return {
        "total": total,
        "states": counts,
        "skipped_reasons": reasons,
        "opted_out": reasons.get(Delivery.Reason.OPTED_OUT, 0),
        "clicked": clicked,
        # reached the gateway (sent and what followed it)
        "sent_total": counts["sent"] + counts["delivered"] + counts["bounced"],
        "done": total - counts["queued"] - counts["sending"],
    }


@dataclass
class Conversion:
    measured: bool
    window: tuple[datetime.date, datetime.date] | None = None
    treated_n: int = 0
    treated_converted: int = 0
    holdout_n: int = 0
    holdout_converted: int = 0

    @property
    def treated_rate(self) -> float | None:
        return self.treated_converted / self.treated_n if self.treated_n else None

    @property
    def holdout_rate(self) -> float | None:
        return self.holdout_converted / self.holdout_n if self.holdout_n else None

    @property
    def uplift(self) -> float | None:
        if self.treated_rate is None or self.holdout_rate is None:
            return None
        return self.treated_rate - self.holdout_rate

    @property
    def uplift_ci(self) -> tuple[float, float] | None:
        """95 % Wald interval of the difference of two proportions."""
        if self.uplift is None:
            return None
        p1, n1, p0, n0 = self.treated_rate, self.treated_n, self.holdout_rate, self.holdout_n
        half = Z_95 * math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
        return (self.uplift - half, self.uplift + half)


_CONVERSION_SQL = """
SELECT d.is_holdout, count(*),
  count(*) FILTER (WHERE EXISTS (
    SELECT 1 FROM sales_order o JOIN sales_orderline l ON l.order_id = o.id AND l.ordered_on = o.ordered_on
    WHERE o.retailer_id = d.retailer_id AND o.ordered_on BETWEEN %s AND %s AND l.product_id = ANY(%s)))
FROM campaigns_delivery d
WHERE d.campaign_id = %s AND d.state <> 'cancelled'
GROUP BY d.is_holdout"""


def campaign_conversion(*, campaign: Campaign) -> Conversion:
    """Intention to treat: everyone drawn outside the holdout (sent or not) against the holdout; converted =
    ordered one of the promoted products within conversion_days of the launch."""
    products = list(campaign.promoted_products.values_list("pk", flat=True))
    if not products or campaign.launched_at is None:
        return Conversion(measured=False)
    start = timezone.localtime(campaign.launched_at).date()
    end = start + datetime.timedelta(days=campaign.conversion_days)
    result = Conversion(measured=True, window=(start, end))
    with connection.cursor() as cursor:
        cursor.execute(_CONVERSION_SQL, [start, end, products, campaign.pk])
        for held, n, converted in cursor.fetchall():
            if held:
                result.holdout_n, result.holdout_converted = n, converted
            else:
                result.treated_n, result.treated_converted = n, converted
    return result


# ---- uplift against the holdout (stored by campaigns.services.uplift) --------------------------------------------
def _points(fraction: float) -> str:
    return _("%(value)+.1f 个百分点") % {"value": 100 * fraction}


def _yuan(fen: float, *, signed: bool = False) -> str:
    text = f"¥{abs(fen) / 100:,.0f}"
    if not signed:
        return text
    return ("+" if fen >= 0 else "−") + text


@dataclass(frozen=True)
class UpliftShown:
    """A campaign's stored uplift as its card and detail show it: both group sizes always; the differences only
    when each group holds at least `min_group` retailers (else "样本不足"); "观察中" while the window runs."""

    uplift: CampaignUplift
    min_group: int
    today: datetime.date

    @property
    def measuring(self) -> bool:
        return self.uplift.window_end >= self.today

    @property
    def short(self) -> bool:
        return not self.uplift.sufficient(self.min_group)

    @property
    def rate_uplift(self) -> float | None:
        return None if self.short else self.uplift.rate_uplift

    @property
    def rate_text(self) -> str:
        return _("样本不足") if self.rate_uplift is None else _points(self.rate_uplift)

    @property
    def amount_text(self) -> str:
        value = None if self.short else self.uplift.amount_uplift
        return _("样本不足") if value is None else _yuan(value, signed=True)

    @property
    def treated_rate_text(self) -> str:
        rate = self.uplift.treated_rate
        return "—" if rate is None else f"{100 * rate:.1f}%"

    @property
    def holdout_rate_text(self) -> str:
        rate = self.uplift.holdout_rate
        return "—" if rate is None else f"{100 * rate:.1f}%"

    @property
    def treated_amount_text(self) -> str:
        value = self.uplift.treated_amount_per_retailer
        return "—" if value is None else _yuan(value)

    @property
    def holdout_amount_text(self) -> str:
        value = self.uplift.holdout_amount_per_retailer
        return "—" if value is None else _yuan(value)


def campaign_uplift_shown(
    *, campaign: Campaign, user: User, today: datetime.date | None = None
) -> UpliftShown | None:
    """The campaign's measured uplift for a user who sees it whole (its unit's supervisors, admins: the groups are
    the whole campaign's); None for a customer manager, or before the hourly job first measured it. Reads the row
    campaign_list joined (no query)."""
    if not campaign_seen_whole(user=user, campaign=campaign):
        return None
    try:
        uplift = campaign.uplift
    except ObjectDoesNotExist:
        return None
    return UpliftShown(
        uplift=uplift,
        min_group=settings.CAMPAIGNS_UPLIFT_MIN_GROUP,
        today=today or timezone.localdate(),
    )
