"""The programme's settings row and four membership levels by rolling 12-month purchases (editable in the
admin). Earn rules and rewards are the company's decision: none is created here (see loyalty_seed_demo)."""

from decimal import Decimal

from django.db import migrations

# (code, name, rank, min amount in fen, min orders, points multiplier, benefits)
DEFAULT_LEVELS = [
    ("bronze", "铜卡", 0, 0, 0, Decimal("1.00"), "订货积分，积分兑换礼品"),
    ("silver", "银卡", 1, 5_000_000, 26, Decimal("1.10"), "积分 1.1 倍；银卡专属礼品"),
    ("gold", "金卡", 2, 15_000_000, 40, Decimal("1.20"), "积分 1.2 倍；金卡专属礼品；优先配送咨询"),
    ("diamond", "钻石", 3, 40_000_000, 48, Decimal("1.50"), "积分 1.5 倍；全部礼品；客户经理专属服务"),
]


def create_defaults(apps, schema_editor):
    Programme = apps.get_model("loyalty", "Programme")
    MembershipLevel = apps.get_model("loyalty", "MembershipLevel")
    Programme.objects.get_or_create(pk=1)
    for code, name, rank, amount, orders, multiplier, benefits in DEFAULT_LEVELS:
        MembershipLevel.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "rank": rank,
                "min_amount_fen": amount,
                "min_orders": orders,
                "points_multiplier": multiplier,
                "benefits": benefits,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
