"""Demo loyalty data, written through the services: an earn rule with price-class multipliers and a brand
programme, a rewards catalog, levels and points for the demo orders, and a few redemptions, coupons and
referrals so every page has something to show."""

import datetime
import random
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from core.errors import ConflictError
from loyalty.coupons.services import coupon_batch_issue
from loyalty.earning.models import EarnMultiplier, EarnRule
from loyalty.earning.services import points_award
from loyalty.ledger.expiry import points_expire
from loyalty.ledger.models import PointsAccount
from loyalty.levels.services import level_recompute
from loyalty.referrals.services import referral_create
from loyalty.rewards.models import Reward
from loyalty.rewards.services import redemption_approve, redemption_cancel, redemption_deliver, reward_redeem

# (name, kind, points, stock or None, level codes or (), description)
DEMO_REWARDS = [
    ("电子价签（10 个）", "goods", 800, None, (), "规范明码标价，柜台更整洁"),
    ("收银台防盗网", "goods", 1500, 30, (), "保护现金与贵重商品"),
    ("营业证照年检代办", "service", 1200, None, (), "客户经理上门代办年检材料"),
    ("订货抵扣 ¥20（满 ¥1000）", "discount", 2000, None, (), "下次网上订货时抵扣"),
    ("卷烟陈列柜灯箱", "goods", 3000, 50, ("silver", "gold", "diamond"), "银卡及以上会员"),
    ("门店形象设计服务", "service", 5000, 20, ("gold", "diamond"), "专业人员上门设计陈列与门头"),
    ("年度优秀客户礼盒", "goods", 10000, 10, ("diamond",), "钻石会员专享"),
]
TABLES = (
    "loyalty_pointslotuse",
    "loyalty_pointslot",
    "loyalty_redemption",
    "loyalty_referral",
    "loyalty_coupon",
    "loyalty_couponbatch",
    "loyalty_levelchange",
    "loyalty_loyaltyevent",
    "core_idempotencykey",  # the loyalty answers replayed to retries
    "loyalty_pointsentry",
    "loyalty_pointsaccount",
)


def demo_loyalty_flush() -> None:
    """Empty the ledger and everything that points at retailers (TRUNCATE: the ledger refuses DELETE), keeping
    the programme's configuration (levels, rules, rewards)."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")


def _rule(first_order: datetime.date, today: datetime.date) -> EarnRule:
    rule, created = EarnRule.objects.get_or_create(
        name="订货积分",
        defaults={
            "basis": EarnRule.Basis.CARTON,
            "points_per_unit": Decimal(1),
            "valid_from": first_order,
            "max_points_per_order": 2000,
        },
    )
    if created:
        EarnMultiplier.objects.create(rule=rule, price_class=1, multiplier=Decimal(2), label="一类烟")
        EarnMultiplier.objects.create(rule=rule, price_class=2, multiplier=Decimal("1.5"), label="二类烟")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, name FROM sales_product WHERE price_class IN (2, 3) AND status <> 'withdrawn' "
                "ORDER BY is_in_province DESC, id LIMIT 1"
            )
            row = cursor.fetchone()
        if row:
            EarnMultiplier.objects.create(
                rule=rule,
                product_id=row[0],
                multiplier=Decimal(3),
                valid_from=today - datetime.timedelta(weeks=8),
                valid_to=today + datetime.timedelta(weeks=8),
                label=f"品牌培育·{row[1]}",
            )
    return rule


def _rewards(levels: dict) -> list[Reward]:
    rewards = []
    for name, kind, points, stock, level_codes, description in DEMO_REWARDS:
        reward, created = Reward.objects.get_or_create(
            name=name,
            defaults={"kind": kind, "points_price": points, "stock": stock, "description": description},
        )
        if created and level_codes:
            reward.levels.set([levels[code] for code in level_codes if code in levels])
        rewards.append(reward)
    return rewards


def demo_loyalty_build(*, seed: int = 7, stdout=None) -> dict:
    """Rules, rewards, levels and points for the demo data already in the database. Returns counts."""
    from accounts.models import Retailer
    from loyalty.levels.models import MembershipLevel
    from sales.models import Order
    from users.models import User

    rng = random.Random(seed)  # noqa: S311 - demo data, repeatable by seed
    today = timezone.localdate()
    first = Order.objects.order_by("ordered_on").values_list("ordered_on", flat=True).first() or today
    _rule(datetime.date(first.year, 1, 1), today)
    rewards = _rewards({level.code: level for level in MembershipLevel.objects.all()})
    levels = level_recompute()
    award = points_award()
    if stdout:
        stdout.write(
            f"Loyalty: {levels['accounts']:,} accounts, {award['entries']:,} earn entries, {award['points']:,} points"
        )

    admin = User.objects.filter(role=User.Role.ADMIN, is_active=True).first()
    accounts = list(
        PointsAccount.objects.filter(balance__gte=800)
        .select_related("retailer__route__manager")
        .order_by("id")
    )
    redeemed = 0
    for account in rng.sample(accounts, min(len(accounts), max(10, len(accounts) // 40))):
        manager = account.retailer.route.manager if account.retailer.route_id else None
        options = [r for r in rewards if r.points_price <= account.balance]
        if not options or manager is None:
            continue
        try:
            redemption = reward_redeem(
                retailer_id=account.retailer_id, reward_id=rng.choice(options).pk, user=manager
            )
        except ConflictError:
            continue
        redeemed += 1
        fate = rng.random()
        if admin and fate < 0.4:
            redemption_deliver(redemption_id=redemption.pk, user=admin)
        elif admin and fate < 0.6:
            redemption_approve(redemption_id=redemption.pk, user=admin)
        elif admin and fate < 0.7:
            redemption_cancel(redemption_id=redemption.pk, user=admin, reason="客户改选其他礼品")

    top = list(
        Retailer.objects.filter(status="active", tier__gte=24)
        .order_by("id")
        .values_list("id", flat=True)[:300]
    )
    coupons = 0
    if top:
        batch = coupon_batch_issue(
            name="新品上市进货抵扣券",
            retailer_ids=top,
            expires_on=today + datetime.timedelta(days=30),
            value_fen=2000,
            description="进货新品规时抵扣 20 元",
            source="demo",
        )
        coupons = batch.issued_count

    referrals = 0
    new_shops = list(
        Retailer.objects.filter(
            licence_issued_on__gte=today - datetime.timedelta(days=150), route__isnull=False
        ).order_by("id")[:12]
    )
    for shop in new_shops:
        referrer = (
            Retailer.objects.filter(route_id=shop.route_id, status="active")
            .exclude(pk=shop.pk)
            .order_by("id")
            .first()
        )
        if referrer is None:
            continue
        try:
            with transaction.atomic():
                referral_create(referrer=referrer, referee=shop, user=None)
            referrals += 1
        except (ConflictError, ValidationError):
            continue
    points_expire()
    return {**award, "redemptions": redeemed, "coupons": coupons, "referrals": referrals}
