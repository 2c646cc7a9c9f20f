"""The segment rule compiler on five hand-built shops (tests/segmentation/conftest.py `shops`): every field type
and operator, AND/OR nesting, the exact member sets, validation naming the rule's path, the description."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Retailer
from segmentation.segments.rules import (
    MAX_RULES,
    catalogue,
    definition_compile,
    definition_describe,
    definition_validate,
)


def rule(field, operator, value=None):
    return {"field": field, "operator": operator, "value": value}


def members(shops, *rules, op="and") -> set[str]:
    """The names (s1…s5) of the shops the definition matches."""
    names = {s.pk: f"s{i}" for i, s in enumerate(shops, start=1)}
    q = definition_compile({"op": op, "rules": list(rules)})
    return {names[pk] for pk in Retailer.objects.filter(q).values_list("pk", flat=True)}


def errors(definition, **kwargs) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        definition_validate(definition, **kwargs)
    return caught.value.messages


# ---- retailer fields -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a_rule", "expected"),
    [
        (rule("business_format", "in", ["B", "Z"]), {"s1", "s2", "s5"}),
        (rule("business_format", "not_in", ["B"]), {"s2", "s3", "s4"}),
        (rule("holder_type", "in", ["2"]), {"s3"}),
        (rule("holder_type", "not_in", ["2"]), {"s1", "s2", "s4", "s5"}),
        (rule("tier", "gte", 20), {"s1", "s2", "s5"}),
        (rule("tier", "gt", 20), {"s1", "s5"}),
        (rule("tier", "lt", 20), {"s4"}),
        (rule("tier", "lte", 20), {"s2", "s4"}),
        (rule("tier", "eq", 25), {"s1"}),
        (rule("tier", "ne", 25), {"s2", "s4", "s5"}),  # a shop not yet graded is not "≠ 25"
        (rule("tier", "between", [5, 20]), {"s2", "s4"}),
        (rule("tier", "empty"), {"s3"}),
        (rule("tier", "not_empty"), {"s1", "s2", "s4", "s5"}),
        (rule("sms_consent", "is", True), {"s1", "s4"}),
        (rule("sms_consent", "is", False), {"s2", "s3", "s5"}),
        (rule("licence_expires_on", "next_days", 30), {"s5"}),
        (rule("licence_expires_on", "next_days", 19), set()),
        (rule("licence_expires_on", "after_days", 30), {"s1", "s2", "s3", "s4"}),
        (rule("licence_expires_on", "expired"), set()),
        (rule("created_at", "last_days", 7), {"s5"}),
        (rule("created_at", "before_days", 7), {"s1", "s2", "s3", "s4"}),
        (rule("keyword", "contains", "便利店"), {"s1", "s5"}),
        (rule("keyword", "not_contains", "涧西"), {"s1", "s2", "s3"}),
    ],
)
def test_retailer_fields(shops, a_rule, expected):
    assert members(shops, a_rule) == expected


def test_org_unit_matches_the_whole_subtree_and_route_its_own_shops(shops, county_a, dept_b, route_b):
    assert members(shops, rule("org_unit", "in", [county_a.pk])) == {"s1", "s2", "s3"}
    assert members(shops, rule("org_unit", "in", [dept_b.pk, county_a.pk])) == {"s1", "s2", "s3", "s4", "s5"}
    assert members(shops, rule("org_unit", "not_in", [county_a.pk])) == {"s4", "s5"}
    assert members(shops, rule("route", "in", [route_b.pk])) == {"s4", "s5"}


def test_a_keyword_is_a_bound_parameter_never_sql(shops):
    assert members(shops, rule("keyword", "contains", "%' OR 1=1 --")) == set()
    assert Retailer.objects.count() == 5


# ---- score fields ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a_rule", "expected"),
    [
        (rule("lifecycle", "in", ["at_risk", "lost"]), {"s1", "s2"}),
        # s5 has no score: it matches no score rule, not even "not in"
        (rule("lifecycle", "not_in", ["at_risk", "lost"]), {"s3", "s4"}),
        (rule("monetary", "gte", 1200.5), {"s1", "s2", "s4"}),  # yuan; 120,050 fen is 1,200.50 yuan
        (rule("monetary", "gt", 1200.5), {"s1", "s4"}),
        (rule("monetary", "between", [1000, 5000]), {"s1", "s2"}),
        (rule("recency_days", "empty"), {"s3"}),
        (rule("recency_days", "lte", 30), {"s1", "s4"}),
        (rule("r_score", "gte", 4), {"s3", "s4"}),
        (rule("is_top20", "is", True), {"s1", "s4"}),
        (rule("trend_pct", "lt", 0), {"s1"}),
    ],
)
def test_score_fields(shops, a_rule, expected):
    assert members(shops, a_rule) == expected


# ---- purchases -------------------------------------------------------------------------------------------------
def test_bought_a_product_or_a_brand_within_the_window(shops, brands):
    hard, soft, _zhonghua = (p.pk for p in brands.values())
    assert members(shops, rule("product_bought", "bought", {"items": [hard], "days": 30})) == {"s1"}
    assert members(shops, rule("product_bought", "bought", {"items": [hard, soft], "days": 30})) == {
        "s1",
        "s4",
    }
    assert members(shops, rule("brand_bought", "bought", {"items": ["双喜"], "days": 30})) == {"s1", "s4"}
    assert members(shops, rule("brand_bought", "bought", {"items": ["双喜"], "days": 15})) == {"s1"}
    assert members(shops, rule("brand_bought", "bought", {"items": ["中华"], "days": 99})) == set()
    assert members(shops, rule("brand_bought", "bought", {"items": ["中华"], "days": 100})) == {"s2"}
    assert members(shops, rule("brand_bought", "bought", {"items": ["中华"], "days": 365})) == {"s1", "s2"}
    # not bought includes the shops that never ordered
    assert members(shops, rule("brand_bought", "not_bought", {"items": ["中华"], "days": 150})) == {
        "s1",
        "s3",
        "s4",
        "s5",
    }


def test_weekly_measures_count_no_purchase_as_zero(shops):
    assert members(shops, rule("cartons_weeks", "gte", {"weeks": 4, "value": 10})) == {"s1", "s4"}
    assert members(shops, rule("cartons_weeks", "gt", {"weeks": 4, "value": 10})) == {"s4"}
    assert (
        members(shops, rule("cartons_weeks", "gte", {"weeks": 3, "value": 30})) == set()
    )  # s4's week is older
    assert members(shops, rule("cartons_weeks", "lt", {"weeks": 4, "value": 20})) == {"s1", "s2", "s3", "s5"}
    assert members(shops, rule("cartons_weeks", "eq", {"weeks": 4, "value": 0})) == {"s2", "s3", "s5"}
    assert members(shops, rule("cartons_weeks", "between", {"weeks": 4, "value": [0, 10]})) == {
        "s1",
        "s2",
        "s3",
        "s5",
    }
    assert members(shops, rule("amount_weeks", "gte", {"weeks": 4, "value": 1000})) == {"s1", "s4"}
    assert members(shops, rule("amount_weeks", "gte", {"weeks": 4, "value": 1000.01})) == {"s4"}
    assert members(shops, rule("orders_weeks", "ne", {"weeks": 52, "value": 0})) == {"s1", "s2", "s4"}


# ---- nesting ---------------------------------------------------------------------------------------------------
def test_and_or_groups_nest(shops):
    at_risk_or_lost = rule("lifecycle", "in", ["at_risk", "lost"])
    assert members(shops, at_risk_or_lost, rule("tier", "gte", 21)) == {"s1"}
    assert members(shops, at_risk_or_lost, rule("tier", "gte", 21), op="or") == {"s1", "s2", "s5"}
    either = rule("r_score", "eq", 5), rule("keyword", "contains", "涧西")
    nested = (
        {"op": "and", "rules": [rule("sms_consent", "is", True), rule("tier", "lt", 10)]},
        {"op": "and", "rules": [rule("tier", "empty"), {"op": "or", "rules": list(either)}]},
    )
    assert members(shops, *nested, op="or") == {"s3", "s4"}
    assert members(shops, *nested, op="and") == set()
    assert members(shops) == {"s1", "s2", "s3", "s4", "s5"}  # an empty root is everyone


def test_membership_is_one_query(shops):
    q = definition_compile(
        {
            "op": "and",
            "rules": [
                rule("lifecycle", "in", ["at_risk", "lost"]),
                rule("brand_bought", "bought", {"items": ["双喜"], "days": 90}),
                rule("cartons_weeks", "gte", {"weeks": 4, "value": 1}),
            ],
        }
    )
    with CaptureQueriesContext(connection) as queries:
        found = list(Retailer.objects.filter(q).values_list("shop_name", flat=True))
    assert found == ["老城一号便利店"]
    assert len(queries) == 1


# ---- validation ------------------------------------------------------------------------------------------------
def test_errors_name_the_rule_path(db):
    definition = {
        "op": "and",
        "rules": [
            rule("tier", "gte", 20),
            {"op": "or", "rules": [rule("xyz", "in", ["a"]), rule("tier", "contains", "1")]},
            rule("tier", "gte", 31),
            rule("tier", "gte", "很多"),
            rule("lifecycle", "in", ["dormant"]),
            rule("lifecycle", "in", []),
            rule("sms_consent", "is", "yes"),
            rule("tier", "between", [20, 10]),
            rule("monetary", "gte", 1.234),
            rule("brand_bought", "bought", {"items": ["双喜"], "days": 0}),
            rule("cartons_weeks", "gte", {"weeks": 200, "value": 1}),
            "tier >= 20",
            {"op": "xor", "rules": []},
        ],
    }
    assert errors(definition) == [
        "规则 2.1：未知字段 xyz",
        "规则 2.2：字段“档位”不支持运算符 contains",
        "规则 3：档位：应在 1 到 30 之间",
        "规则 4：档位：应为数字",
        "规则 5：生命周期：无效的选项：dormant",
        "规则 6：生命周期：请至少选择一项",
        "规则 7：同意接收短信：应为 true 或 false",
        "规则 8：档位：下限不能大于上限",
        "规则 9：订货金额（评分期）：最多两位小数",
        "规则 10：品牌：无效的选项：双喜",  # no product of that brand exists
        "规则 11：订货条数：周数应在 1 到 104 之间",
        '规则 12：应为规则 {"field", "operator", "value"}',
        "规则 13：条件组的 op 应为 and 或 or",
        "规则 13：条件组为空",
    ]


def test_errors_carry_the_path_and_a_code(db):
    with pytest.raises(ValidationError) as caught:
        definition_validate({"op": "and", "rules": [{"op": "or", "rules": [rule("nope", "in", [1])]}]})
    (error,) = caught.value.error_list
    assert (error.code, error.params["path"]) == ("unknown_field", "1.1")


def test_depth_and_rule_count_are_limited(db):
    deep = {
        "op": "and",
        "rules": [{"op": "or", "rules": [{"op": "and", "rules": [{"op": "or", "rules": []}]}]}],
    }
    assert errors(deep) == ["规则 1.1.1：条件组最多嵌套 3 层"]
    many = {"op": "and", "rules": [rule("tier", "gte", 1)] * (MAX_RULES + 1)}
    assert errors(many) == [f"规则：最多 {MAX_RULES} 条规则"]
    assert errors(["tier"]) == ['规则：应为条件组 {"op": "and"|"or", "rules": […]}']


def test_validation_normalises_values(shops, brands):
    cleaned = definition_validate(
        {
            "op": "or",
            "rules": [
                rule("tier", "gte", "20"),
                rule("order_weekday", "in", ["3", 3]),
                rule(
                    "product_bought", "bought", {"items": [str(p.pk) for p in brands.values()], "days": 7.0}
                ),
                {"field": "sms_consent", "operator": "is", "value": True, "extra": 1},
            ],
        }
    )
    assert cleaned["rules"][0]["value"] == 20
    assert cleaned["rules"][1]["value"] == [3]
    assert cleaned["rules"][2]["value"] == {"items": [p.pk for p in brands.values()], "days": 7}
    assert cleaned["rules"][3] == {"field": "sms_consent", "operator": "is", "value": True}


def test_a_user_may_name_only_units_and_routes_they_see(shops, manager_a, route_b, county_b):
    definition = {
        "op": "and",
        "rules": [rule("route", "in", [route_b.pk]), rule("org_unit", "in", [county_b.pk])],
    }
    assert definition_validate(definition) == definition
    assert errors(definition, user=manager_a) == [
        f"规则 1：服务线路：无效的选项：{route_b.pk}",
        f"规则 2：所属单位：无效的选项：{county_b.pk}",
    ]


# ---- reading out -----------------------------------------------------------------------------------------------
def test_the_description_reads_in_plain_words(shops, route_a):
    definition = {
        "op": "and",
        "rules": [
            rule("lifecycle", "in", ["at_risk", "lost"]),
            rule("tier", "gte", 20),
            {
                "op": "or",
                "rules": [
                    rule("brand_bought", "not_bought", {"items": ["双喜"], "days": 90}),
                    rule("amount_weeks", "lt", {"weeks": 4, "value": 1500.5}),
                ],
            },
            rule("route", "in", [route_a.pk]),
            rule("licence_expires_on", "next_days", 30),
        ],
    }
    assert definition_describe(definition) == (
        "生命周期 为 流失风险 或 已流失，且 档位 ≥ 20，且 （近 90 天未买过品牌 双喜，或 近 4 周订货金额 < 1,500.5 元），"
        "且 服务线路 为 LC-A01 老城甲线，且 许可证到期 在未来 30 天内"
    )
    assert definition_describe({"op": "and", "rules": []}) == "全部客户"


def test_the_catalogue_lists_every_field_with_operators_and_choices(shops, manager_a, route_a):
    fields = {f["name"]: f for f in catalogue(user=manager_a)}
    assert {"lifecycle", "tier", "org_unit", "route", "brand_bought", "cartons_weeks", "monetary"} <= set(
        fields
    )
    assert fields["lifecycle"]["type"] == "choice"
    assert {"value": "at_risk", "label": "流失风险"} in fields["lifecycle"]["choices"]
    assert (fields["tier"]["min"], fields["tier"]["max"]) == (1, 30)
    assert [o["name"] for o in fields["tier"]["operators"]][-2:] == ["empty", "not_empty"]
    assert fields["monetary"]["unit"] == "元"
    assert fields["route"]["choices"] == [{"value": route_a.pk, "label": str(route_a)}]  # only the user's own
    assert [c["value"] for c in fields["brand_bought"]["choices"]] == ["中华", "双喜"]
