"""Reads of loyalty, always through the accounts scoping (`retailer_scope` / `retailer_get`): another
territory's account, entry, redemption or coupon is a 404 like a missing one."""

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import Prefetch, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Retailer
from accounts.selectors import retailer_scope
from core.db import queryset_sql
from loyalty.coupons.models import Coupon
from loyalty.earning.models import EarnRule
from loyalty.ledger.models import PointsAccount, PointsEntry, PointsLot
from loyalty.ledger.services import programme_get
from loyalty.levels.models import MembershipLevel
from loyalty.models import LoyaltyEvent
from loyalty.referrals.models import Referral
from loyalty.rewards.models import Redemption, Reward
from loyalty.rewards.services import reward_refusal
from users.models import User

STATEMENT_SIZE = 20
LIABILITY_MONTHS = 12


# ---- one retailer ------------------------------------------------------------------------------------------------


@dataclass
class Progress:
    """Where the retailer stands against the next level, by the figures of the last recompute."""

    next_level: MembershipLevel | None
    amount_fen: int
    orders: int
    amount_needed_fen: int
    orders_needed: int
    percent: int


def points_account_of(*, retailer: Retailer) -> PointsAccount | None:
    return PointsAccount.objects.select_related("level").filter(retailer=retailer).first()


def level_progress(*, account: PointsAccount | None) -> Progress:
    programme = programme_get()
    levels = list(MembershipLevel.objects.filter(is_active=True).order_by("rank"))
    current_rank = account.level.rank if account and account.level_id else -1
    higher = [level for level in levels if level.rank > current_rank]
    amount = account.rolling_amount_fen if account else 0
    orders = account.rolling_orders if account else 0
    if not higher:
        return Progress(None, amount, orders, 0, 0, 100)
    nxt = higher[0]
    amount_needed = max(0, nxt.min_amount_fen - amount)
    orders_needed = max(0, nxt.min_orders - orders)
    shares = []
    if programme.level_basis != "orders":
        shares.append(min(1, amount / nxt.min_amount_fen) if nxt.min_amount_fen else 1)
    if programme.level_basis != "amount":
        shares.append(min(1, orders / nxt.min_orders) if nxt.min_orders else 1)
    share = max(shares) if programme.level_basis == "either" else min(shares)
    return Progress(nxt, amount, orders, amount_needed, orders_needed, int(share * 100))


def points_summary(*, retailer: Retailer, today: datetime.date | None = None) -> dict:
    """Balance, the next expiry (date and points), points expiring within the notice days, level and progress
    for one retailer the caller may see."""
    today = today or timezone.localdate()
    account = points_account_of(retailer=retailer)
    next_expiry = None
    expiring_soon = 0
    if account is not None:
        first = (
            PointsLot.objects.filter(entry__account=account, remaining__gt=0, expires_on__gte=today)
            .values("expires_on")
            .annotate(points=Sum("remaining"))
            .order_by("expires_on")
            .first()
        )
        next_expiry = first
        notice_until = today + datetime.timedelta(days=programme_get().expiry_notice_days)
        expiring_soon = (
            PointsLot.objects.filter(
                entry__account=account, remaining__gt=0, expires_on__gte=today, expires_on__lte=notice_until
            ).aggregate(points=Sum("remaining"))["points"]
            or 0
        )
    return {
        "account": account,
        "balance": account.balance if account else 0,
        "level": account.level if account else None,
        "next_expiry": next_expiry,
        "expiring_soon": expiring_soon,
        "progress": level_progress(account=account),
    }


def retailer_points_get(*, user: User, retailer_id: int) -> tuple[Retailer, dict]:
    """The retailer (404 outside the user's territory) and its points summary."""
    from accounts.selectors import retailer_get

    retailer = retailer_get(user=user, retailer_id=retailer_id)
    return retailer, points_summary(retailer=retailer)


def statement(
    *, retailer: Retailer, before_id: int | None = None, size: int = STATEMENT_SIZE
) -> tuple[list, int | None]:
    """The retailer's entries newest first, keyset-paged: (entries, id to ask `before` for the next page)."""
    qs = (
        PointsEntry.objects.filter(account__retailer=retailer).select_related("order", "rule").order_by("-id")
    )
    if before_id is not None:
        qs = qs.filter(id__lt=before_id)
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].id if rows and more else None)


def rewards_for(*, account: PointsAccount | None, today: datetime.date | None = None) -> list[dict]:
    """The catalog as this retailer sees it: every reward on the shelf with whether it may redeem it now."""
    today = today or timezone.localdate()
    rewards = Reward.objects.filter(is_active=True).prefetch_related("levels").order_by("points_price", "id")
    balance = account.balance if account else 0
    result = []
    for reward in rewards:
        refusal = reward_refusal(reward=reward, account=account, today=today)
        if not refusal and reward.points_price > balance:
            refusal = "points"
        result.append({"reward": reward, "refusal": refusal, "may_redeem": not refusal})
    return result


def retailer_redemptions(*, retailer: Retailer, limit: int = 10) -> list[Redemption]:
    return list(
        Redemption.objects.filter(account__retailer=retailer).select_related("reward").order_by("-id")[:limit]
    )


def retailer_coupons(*, retailer: Retailer, limit: int = 10) -> list[Coupon]:
    return list(Coupon.objects.filter(retailer=retailer).select_related("batch").order_by("-id")[:limit])


def retailer_referrals(*, retailer: Retailer) -> list[Referral]:
    return list(Referral.objects.filter(referrer=retailer).select_related("referee").order_by("-id")[:20])


# ---- lists, scoped -------------------------------------------------------------------------------------------


def _retailer_scope_ids(user: User):
    return retailer_scope(user=user).values("id")


def account_list(*, user: User) -> QuerySet[PointsAccount]:
    return PointsAccount.objects.filter(retailer__in=_retailer_scope_ids(user)).select_related("level")


def entry_list(*, user: User) -> QuerySet[PointsEntry]:
    return PointsEntry.objects.filter(account__retailer__in=_retailer_scope_ids(user)).select_related(
        "account"
    )


def redemption_list(*, user: User, status: str | None = None) -> QuerySet[Redemption]:
    qs = Redemption.objects.filter(account__retailer__in=_retailer_scope_ids(user)).select_related(
        "reward", "account__retailer", "requested_by"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-id")


def redemption_get(*, user: User, redemption_id: int) -> Redemption:
    return get_object_or_404(redemption_list(user=user), pk=redemption_id)


def coupon_list(*, user: User) -> QuerySet[Coupon]:
    return Coupon.objects.filter(retailer__in=_retailer_scope_ids(user)).select_related("batch", "retailer")


def referral_list(*, user: User) -> QuerySet[Referral]:
    return Referral.objects.filter(referrer__in=_retailer_scope_ids(user)).select_related(
        "referrer", "referee"
    )


def reward_list() -> QuerySet[Reward]:
    return Reward.objects.prefetch_related(
        Prefetch("levels", queryset=MembershipLevel.objects.order_by("rank"))
    )


def earn_rule_list() -> QuerySet[EarnRule]:
    return EarnRule.objects.prefetch_related("multipliers__product").order_by(
        "-is_active", "valid_from", "id"
    )


# ---- for campaigns: notices and events -----------------------------------------------------------------------


def points_expiring(
    *, within_days: int, as_of: datetime.date | None = None, retailer_ids: QuerySet | list | None = None
) -> list[dict]:
    """Retailers with points that expire within `within_days` of `as_of`: [{"retailer_id", "points",
    "expires_on" (the first such date), "last_expires_on"}], by retailer id. For campaigns, which send the
    notice (optionally limited to an audience's retailer ids)."""
    as_of = as_of or timezone.localdate()
    qs = PointsLot.objects.filter(
        remaining__gt=0, expires_on__gte=as_of, expires_on__lte=as_of + datetime.timedelta(days=within_days)
    )
    if retailer_ids is not None:
        qs = qs.filter(entry__account__retailer_id__in=retailer_ids)
    from django.db.models import Max, Min

    return [
        {
            "retailer_id": row["entry__account__retailer_id"],
            "points": row["points"],
            "expires_on": row["first"],
            "last_expires_on": row["last"],
        }
        for row in qs.values("entry__account__retailer_id")
        .annotate(points=Sum("remaining"), first=Min("expires_on"), last=Max("expires_on"))
        .order_by("entry__account__retailer_id")
    ]


def loyalty_events_after(
    *, after_id: int = 0, kinds: list[str] | None = None, limit: int = 1000
) -> list[LoyaltyEvent]:
    """Events in id order after the consumer's cursor (campaigns keep the last id they handled)."""
    qs = LoyaltyEvent.objects.filter(id__gt=after_id).order_by("id")
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return list(qs[:limit])


def loyalty_event_list(*, user: User) -> QuerySet[LoyaltyEvent]:
    return LoyaltyEvent.objects.filter(retailer__in=_retailer_scope_ids(user))


# ---- finance ---------------------------------------------------------------------------------------------------


def liability_by_org_unit_month(
    *, user: User, months: int = LIABILITY_MONTHS, today: datetime.date | None = None
) -> dict:
    """Outstanding points (the programme's liability) at the end of each of the last `months` months, per
    marketing department (the retailer's org unit) in the user's territory: the running sum of every entry up
    to the month's end (Asia/Shanghai). Points and their value in yuan."""
    today = today or timezone.localdate()
    first_month = datetime.date(today.year, today.month, 1)
    for _step in range(months - 1):
        first_month = (first_month - datetime.timedelta(days=1)).replace(day=1)
    scope_sql, scope_params = queryset_sql(retailer_scope(user=user).values("id"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH monthly AS (
              SELECT r.org_unit_id,
                     date_trunc('month', e.created_at AT TIME ZONE 'Asia/Shanghai')::date AS month,
                     sum(e.points) AS points
              FROM loyalty_pointsentry e
              JOIN loyalty_pointsaccount a ON a.id = e.account_id
              JOIN accounts_retailer r ON r.id = a.retailer_id
              WHERE r.id IN ({scope_sql})
              GROUP BY 1, 2
            ), opening AS (
              SELECT org_unit_id, sum(points) AS points FROM monthly WHERE month < %s GROUP BY 1
            ), grid AS (
              SELECT u.org_unit_id, m::date AS month
              FROM (SELECT DISTINCT org_unit_id FROM monthly) u
              CROSS JOIN generate_series(%s::date, %s::date, interval '1 month') m
            )
            SELECT g.org_unit_id, g.month,
                   coalesce(o.points, 0) + sum(coalesce(mo.points, 0))
                       OVER (PARTITION BY g.org_unit_id ORDER BY g.month) AS outstanding
            FROM grid g
            LEFT JOIN monthly mo ON mo.org_unit_id = g.org_unit_id AND mo.month = g.month
            LEFT JOIN opening o ON o.org_unit_id = g.org_unit_id
            ORDER BY g.org_unit_id, g.month
            """,
            [*scope_params, first_month, first_month, datetime.date(today.year, today.month, 1)],
        )
        rows = cursor.fetchall()
    from users.models import OrgUnit

    month_list = []
    step = first_month
    while step <= today:
        month_list.append(step)
        step = (step + datetime.timedelta(days=32)).replace(day=1)
    units = {
        u.pk: u for u in OrgUnit.objects.filter(pk__in={row[0] for row in rows}).select_related("parent")
    }
    by_unit: dict[int, dict] = {}
    for unit_id, month, outstanding in rows:
        by_unit.setdefault(unit_id, {})[month] = int(outstanding)
    fen = programme_get().fen_per_point
    table = []
    for unit_id, values in sorted(
        by_unit.items(), key=lambda item: (str(units[item[0]].parent or ""), units[item[0]].name)
    ):
        points = [values.get(m, 0) for m in month_list]
        table.append(
            {
                "unit": units[unit_id],
                "points": points,
                "latest": points[-1],
                "latest_yuan": points[-1] * fen / 100,
            }
        )
    # months before the programme had any points say nothing: start at the first month with some
    start = next(
        (i for i in range(len(month_list)) if any(row["points"][i] for row in table)), len(month_list) - 1
    )
    month_list = month_list[start:]
    for row in table:
        row["points"] = row["points"][start:]
    totals = [sum(row["points"][i] for row in table) for i in range(len(month_list))]
    return {
        "months": month_list,
        "rows": table,
        "totals": totals,
        "total_latest": totals[-1] if totals else 0,
        "total_latest_yuan": (totals[-1] if totals else 0) * fen / 100,
        "fen_per_point": fen,
    }


# ---- checks ------------------------------------------------------------------------------------------------------


def ledger_discrepancies(*, account_ids: list[int] | None = None) -> list[tuple]:
    """Accounts whose balance differs from the sum of their entries or of their lots' remaining points:
    [(account_id, balance, entries_sum, lots_sum)], then any entry without its account or lot without its
    entry. Empty when the ledger is consistent."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.id, a.balance,
                   coalesce((SELECT sum(points) FROM loyalty_pointsentry e WHERE e.account_id = a.id), 0),
                   coalesce((SELECT sum(l.remaining) FROM loyalty_pointslot l JOIN loyalty_pointsentry e
                              ON e.id = l.entry_id WHERE e.account_id = a.id), 0)
            FROM loyalty_pointsaccount a
            WHERE %(ids)s::bigint[] IS NULL OR a.id = ANY(%(ids)s::bigint[])
            """,
            {"ids": account_ids},
        )
        problems = [row for row in cursor.fetchall() if not row[1] == row[2] == row[3]]
        cursor.execute(
            """
            SELECT e.account_id, NULL, NULL, NULL FROM loyalty_pointsentry e
            WHERE NOT EXISTS (SELECT 1 FROM loyalty_pointsaccount a WHERE a.id = e.account_id)
            UNION ALL
            SELECT NULL, NULL, NULL, l.entry_id FROM loyalty_pointslot l
            WHERE NOT EXISTS (SELECT 1 FROM loyalty_pointsentry e WHERE e.id = l.entry_id)
            """
        )
        return problems + cursor.fetchall()
