"""The field catalogue of segment rules (the rule format is in segments.rules, the kinds of field in
segments.field_types and segments.purchase_fields).

Registered when the app is ready (SegmentationConfig.ready). To add a field, register one more entry — a new
RetailerScore column is `register(ChoiceField(name=…, label=…, group=SCORE, source=SCORE, choices=…))` or
`register(NumberField(name=…, label=…, group=SCORE, source=SCORE, min_value=…, max_value=…))`.
"""

from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer
from sales.models import Product
from segmentation.scoring.models import RetailerScore
from segmentation.segments.field_types import (
    BoolField,
    ChoiceField,
    ModelChoiceField,
    NumberField,
    RelativeDateField,
    TextField,
)
from segmentation.segments.purchase_fields import MeasureField, PurchaseField
from segmentation.segments.rules import PURCHASE, SCORE, register
from users.models import OrgUnit, Route
from users.selectors import org_units_visible, route_scope

MAX_YUAN = 100_000_000


def _units(user):
    units = org_units_visible(user=user) if user is not None else OrgUnit.objects.all()
    return units.order_by("path")


def _unit_label(unit: OrgUnit) -> str:
    depth = unit.path.count("/") - 2  # "/1/" is the top
    return f"{'　' * depth}{unit.name}"


class OrgUnitField(ModelChoiceField):
    """A unit matches its whole subtree: the retailer's unit is one of the units under a chosen one."""

    def condition(self, operator, value, *, today):
        paths = OrgUnit.objects.filter(pk__in=value).values_list("path", flat=True)
        below = OrgUnit.objects.filter(reduce(or_, (Q(path__startswith=p) for p in paths), Q(pk__in=[])))
        q = Q(org_unit__in=below.values("id"))
        return q if operator == "in" else ~q


def _routes(user):
    routes = route_scope(user=user) if user is not None else Route.objects.all()
    return routes.select_related(None).order_by("code")


class HolderTypeField(ChoiceField):
    """The 7th digit of the licence number: 1 an individual business, 2 a company (often a chain)."""

    def condition(self, operator, value, *, today):
        digits = "".join(sorted(value))  # checked to be among "1" and "2"
        q = Q(licence_no__regex=rf"^\d{{6}}[{digits}]")
        return q if operator == "in" else ~q


def _products(user):
    return Product.objects.order_by("brand", "name")


def _brands(user):
    return Product.objects.order_by("brand").distinct("brand").only("brand")


def register_catalogue() -> None:
    # ---- the retailer's own record
    for name, choices in (
        ("status", Retailer.Status.choices),
        ("licence_status", Retailer.LicenceStatus.choices),
        ("business_format", Retailer.BusinessFormat.choices),
        ("market_type", Retailer.MarketType.choices),
        ("scale", Retailer.Scale.choices),
        ("credit_grade", Retailer.CreditGrade.choices),
        ("order_weekday", Retailer.Weekday.choices),
        ("order_channel", Retailer.OrderChannel.choices),
        ("payment_method", Retailer.Payment.choices),
    ):
        register(
            ChoiceField(name=name, label=Retailer._meta.get_field(name).verbose_name, choices=tuple(choices))
        )
    register(NumberField(name="tier", label=_("档位"), min_value=1, max_value=30, nullable=True))
    register(
        OrgUnitField(
            name="org_unit",
            label=_("所属单位"),
            queryset=_units,
            label_of=_unit_label,
            help_text=_("含下级单位"),
        )
    )
    register(ModelChoiceField(name="route", label=_("服务线路"), queryset=_routes))
    register(
        HolderTypeField(
            name="holder_type",
            label=_("持证主体"),
            choices=(("1", _("个体工商户")), ("2", _("企业"))),
            help_text=_("许可证号第 7 位"),
        )
    )
    register(
        RelativeDateField(
            name="licence_expires_on",
            label=_("许可证到期"),
            operators=("next_days", "after_days", "expired"),
        )
    )
    register(
        RelativeDateField(
            name="created_at", label=_("建档时间"), operators=("last_days", "before_days"), is_datetime=True
        )
    )
    register(BoolField(name="sms_consent", label=_("同意接收短信")))
    register(BoolField(name="email_consent", label=_("同意接收邮件")))
    register(BoolField(name="is_night_shop", label=_("夜间营业")))
    register(
        NumberField(
            name="shop_area_m2", label=_("经营面积"), min_value=1, max_value=100000, unit="㎡", nullable=True
        )
    )
    register(
        TextField(
            name="keyword",
            column="search_text",
            label=_("店名、负责人或地址"),
            help_text=_("也匹配许可证号、手机号和客户编码"),
        )
    )

    # ---- the current score (RetailerScore)
    for name, choices in (
        ("lifecycle", RetailerScore.Lifecycle.choices),
        ("rfm_segment", RetailerScore.RfmSegment.choices),
        ("value_class", RetailerScore.ValueClass.choices),
        ("loyalty_class", RetailerScore.LoyaltyClass.choices),
    ):
        label = RetailerScore._meta.get_field(name).verbose_name
        register(ChoiceField(name=name, label=label, group=SCORE, source=SCORE, choices=tuple(choices)))
    for name, label in (("r_score", _("R 得分")), ("f_score", _("F 得分")), ("m_score", _("M 得分"))):
        register(NumberField(name=name, label=label, group=SCORE, source=SCORE, min_value=1, max_value=5))
    score_numbers = (
        ("recency_days", _("距上次订货天数"), {"max_value": 3650, "unit": _("天"), "nullable": True}),
        ("frequency", _("订货次数（评分期）"), {"max_value": 10000, "unit": _("次")}),
        (
            "monetary",
            _("订货金额（评分期）"),
            {
                "column": "monetary_fen",
                "max_value": MAX_YUAN,
                "scale": 100,
                "integer": False,
                "unit": _("元"),
            },
        ),
        ("cartons", _("订货条数（评分期）"), {"max_value": 10_000_000, "unit": _("条")}),
        (
            "avg_price",
            _("单条值"),
            {
                "column": "avg_price_fen",
                "max_value": 100_000,
                "scale": 100,
                "integer": False,
                "unit": _("元/条"),
            },
        ),
        (
            "trend_pct",
            _("近13周较前13周"),
            {"min_value": -100, "max_value": 100_000, "unit": "%", "nullable": True},
        ),
        ("missed_weeks", _("缺订周数"), {"max_value": 104, "unit": _("周")}),
    )
    for name, label, options in score_numbers:
        options = {"min_value": 0, **options}
        register(NumberField(name=name, label=label, group=SCORE, source=SCORE, **options))
    register(BoolField(name="is_top20", label=_("前 20% 客户"), group=SCORE, source=SCORE))

    # ---- purchases (order lines, weekly period summaries)
    register(
        PurchaseField(
            name="product_bought",
            label=_("品规"),
            items=ModelChoiceField(
                name="product",
                label=_("品规"),
                column="product_id",
                queryset=_products,
                label_of=_product_label,
            ),
        )
    )
    register(
        PurchaseField(
            name="brand_bought",
            label=_("品牌"),
            items=ModelChoiceField(
                name="brand",
                label=_("品牌"),
                column="product__brand",
                value_attr="brand",
                queryset=_brands,
                label_of=lambda product: product.brand,
            ),
        )
    )
    for name, column, label, options in (
        ("cartons_weeks", "cartons", _("订货条数"), {"unit": _("条")}),
        ("amount_weeks", "amount_fen", _("订货金额"), {"scale": 100, "integer": False, "unit": _("元")}),
        ("orders_weeks", "order_count", _("订货次数"), {"unit": _("次")}),
    ):
        number = NumberField(name=name, label=label, min_value=0, max_value=MAX_YUAN, **options)
        register(MeasureField(name=name, label=label, column=column, group=PURCHASE, number=number))


def _product_label(product: Product) -> str:
    return f"{product.name}（{product.code}）"
