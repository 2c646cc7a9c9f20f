"""Saved-segment rules: the rule tree, its operators and limits, validation, the compiler to one SQL condition over
accounts.Retailer, and the plain-words description. The kinds of field a rule can test are in field_types (a
column of the retailer or of its score) and purchase_fields (its orders); the fields themselves are registered
in rule_fields (the catalogue). This module reads no model: the fields compile themselves.

Rule tree (Segment.definition; the API's `definition`):

    group = {"op": "and" | "or", "rules": [<rule or group>, ...]}          the root is a group
    rule  = {"field": "<catalogue name>", "operator": "<operator>", "value": <JSON, shaped by the field's type>}

Limits: groups nest at most MAX_DEPTH (3) levels counting the root; at most MAX_RULES (50) rules in all; a nested
group holds at least one item (an empty root matches every retailer of the segment's territory). A rule is named
by its path, 1-based positions from the root ("2.1" is the first item of the second item), and every error names
it: "规则 2.1：未知字段 xyz".

Field types, their operators and value shapes:

    choice         in, not_in                 a non-empty list of the field's choice values
    number         eq ne gt gte lt lte        a number within the field's bounds (money in yuan, stored in fen)
                   between                    [low, high], inclusive, low ≤ high
                   empty, not_empty           null (only fields that may be blank, e.g. 档位 not yet graded)
    bool           is                         true | false
    date-relative  next_days, after_days      whole days 0–3650: date within the next N days / later than that
                   last_days, before_days     within the last N days / earlier than that
                   expired                    null: the date is before today
    text           contains, not_contains     a string of 1–100 characters
    product        bought, not_bought         {"items": [product ids | brand names], "days": 1–3650}
    measure        eq … between               {"weeks": 1–104, "value": number | [low, high]}

Semantics:
- Retailer fields test the retailer's own columns; 所属单位 matches the chosen units and everything below them.
- Score fields test the retailer's current RetailerScore; a retailer not scored yet matches no score rule,
  neither `in` nor `not_in`. `ne` never matches a blank value.
- bought: at least one order line of one of the products (or brands) in an order dated within the last N days,
  today included; not_bought: no such line (retailers who never ordered included).
- Measures add up the weekly period summaries of the last N weeks, the current week included (weeks start on
  Monday); a retailer without rows has 0, so "条数 < 10 in 4 weeks" includes those who bought nothing.
- "Today" is the local date when the segment is evaluated: a segment is a rule, not a stored list.

Every value reaches SQL as a bound parameter through the ORM; nothing is interpolated.

Extending: `register(SomeField(...))` — segments.rule_fields registers the catalogue when the app is ready;
another app registers its own fields in its AppConfig.ready(). A new RetailerScore column is one line there:
`register(ScoreChoiceField(...))` or `register(NumberField(..., source=SCORE))`.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_DEPTH = 3
MAX_RULES = 50
MAX_DAYS = 3650
MAX_WEEKS = 104
MAX_ITEMS = 500
MAX_TEXT = 100

RETAILER = "retailer"
SCORE = "score"
PURCHASE = "purchase"
GROUPS = {
    RETAILER: gettext_lazy("客户信息"),
    SCORE: gettext_lazy("评分与分级"),
    PURCHASE: gettext_lazy("订货情况"),
}
GROUP_OPS = {"and": gettext_lazy("且"), "or": gettext_lazy("或")}

OPERATOR_LABELS = {
    "in": gettext_lazy("为"),
    "not_in": gettext_lazy("不为"),
    "eq": "=",
    "ne": "≠",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "between": gettext_lazy("介于"),
    "empty": gettext_lazy("未填写"),
    "not_empty": gettext_lazy("已填写"),
    "is": gettext_lazy("是否"),
    "next_days": gettext_lazy("未来 N 天内"),
    "after_days": gettext_lazy("N 天以后"),
    "last_days": gettext_lazy("近 N 天内"),
    "before_days": gettext_lazy("N 天以前"),
    "expired": gettext_lazy("已过期"),
    "contains": gettext_lazy("包含"),
    "not_contains": gettext_lazy("不包含"),
    "bought": gettext_lazy("买过"),
    "not_bought": gettext_lazy("未买过"),
}
COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte", "between")
NO_VALUE = frozenset({"empty", "not_empty", "expired"})


class RuleValueError(Exception):
    """A rule's value does not fit its field; the message says how (without the path, which the caller adds)."""


class RuleField(Protocol):
    """What the rules need of a field of the catalogue (segments.field_types.Field and its kinds provide it)."""

    name: str
    label: Any
    operators: tuple[str, ...]

    def describe_for_client(self, *, user=None) -> dict: ...

    def clean(self, operator: str, value, *, user=None): ...

    def to_q(self, operator: str, value, *, today: datetime.date, within=None) -> Q: ...

    def describe(self, operator: str, value) -> str: ...


# ---- the registry ------------------------------------------------------------------------------------------------
_FIELDS: dict[str, RuleField] = {}


def register(spec: RuleField) -> RuleField:
    """Add (or replace, by name) a field of the catalogue."""
    if not spec.name or set(spec.operators) - set(OPERATOR_LABELS):
        raise ValueError(f"bad rule field {spec.name!r}")
    _FIELDS[spec.name] = spec
    return spec


def field_get(name: str) -> RuleField | None:
    return _FIELDS.get(name)


def fields_all() -> list[RuleField]:
    return list(_FIELDS.values())


def catalogue(*, user=None) -> list[dict]:
    """Every field with its label, type, group, operators and (for the user) choices: what a builder needs."""
    return [spec.describe_for_client(user=user) for spec in _FIELDS.values()]


# ---- validation --------------------------------------------------------------------------------------------------
@dataclass
class _Check:
    user: Any
    errors: list = field(default_factory=list)
    rule_count: int = 0

    def error(self, path: str, detail: str, code: str):
        message = _("规则 %(path)s：%(detail)s") if path else _("规则：%(detail)s")
        self.errors.append(ValidationError(message, code=code, params={"path": path, "detail": detail}))


def definition_validate(definition, *, user=None) -> dict:
    """The definition, checked and normalised (values typed, unknown keys dropped); or a ValidationError whose
    items each carry `code` and `params["path"]` ("" for the whole tree) and read "规则 2.1：…". With a `user`,
    choices among rows of other tables (org units, routes) must be ones that user may see."""
    check = _Check(user=user)
    cleaned = _check_group(definition, path="", depth=1, check=check)
    if check.rule_count > MAX_RULES:
        check.error("", _("最多 %(n)s 条规则") % {"n": MAX_RULES}, "too_many_rules")
    if check.errors:
        raise ValidationError(check.errors)
    return cleaned


def _check_group(node, *, path: str, depth: int, check: _Check) -> dict | None:
    if not isinstance(node, dict) or "rules" not in node:
        check.error(path, _('应为条件组 {"op": "and"|"or", "rules": […]}'), "not_a_group")
        return None
    op = node.get("op", "and")
    if not isinstance(op, str) or op not in GROUP_OPS:
        check.error(path, _("条件组的 op 应为 and 或 or"), "bad_group_op")
    rules = node["rules"]
    if not isinstance(rules, list):
        check.error(path, _("rules 应为列表"), "not_a_group")
        return None
    if depth > MAX_DEPTH:
        check.error(path, _("条件组最多嵌套 %(n)s 层") % {"n": MAX_DEPTH}, "too_deep")
        return None
    if not rules and path:
        check.error(path, _("条件组为空"), "empty_group")
    cleaned = []
    for index, item in enumerate(rules, start=1):
        child = f"{path}.{index}" if path else str(index)
        if isinstance(item, dict) and "rules" in item:
            cleaned.append(_check_group(item, path=child, depth=depth + 1, check=check))
        else:
            cleaned.append(_check_rule(item, path=child, check=check))
    return {"op": op, "rules": cleaned}


def _check_rule(node, *, path: str, check: _Check) -> dict | None:
    check.rule_count += 1
    if not isinstance(node, dict):
        check.error(path, _('应为规则 {"field", "operator", "value"}'), "not_a_rule")
        return None
    name = node.get("field")
    spec = _FIELDS.get(name) if isinstance(name, str) else None
    if spec is None:
        if name in (None, ""):
            check.error(path, _("请选择字段"), "unknown_field")
        else:
            check.error(path, _("未知字段 %(name)s") % {"name": str(name)[:40]}, "unknown_field")
        return None
    operator = node.get("operator")
    if not isinstance(operator, str) or operator not in spec.operators:
        check.error(
            path,
            _("字段“%(field)s”不支持运算符 %(op)s") % {"field": spec.label, "op": str(operator or "—")[:20]},
            "bad_operator",
        )
        return None
    try:
        value = spec.clean(operator, node.get("value"), user=check.user)
    except RuleValueError as exc:
        check.error(path, f"{spec.label}{_('：')}{exc}", "bad_value")
        return None
    return {"field": name, "operator": operator, "value": value}


def rule_errors(exc: ValidationError) -> list[dict]:
    """The items of a definition_validate error as {"path", "code", "message"}: what the API answers and the
    builder shows next to each rule."""
    return [
        {
            "path": (error.params or {}).get("path", ""),
            "code": error.code or "invalid",
            "message": next(iter(error)),
        }
        for error in exc.error_list
    ]


# ---- compiling and reading out -----------------------------------------------------------------------------------
def definition_compile(definition, *, today: datetime.date | None = None, within=None) -> Q:
    """One condition over Retailer for a definition (validated here; ValidationError if it is not valid).
    Rows of other tables named by the rules (org units) are read now; the rest is subqueries of one statement.
    `within`: the Retailer queryset the condition will filter (the territory), which subqueries may use."""
    cleaned = definition_validate(definition)
    return _compile_group(cleaned, today=today or timezone.localdate(), within=within)


def _compile_group(group: dict, *, today, within) -> Q:
    result = Q()
    for item in group["rules"]:
        if "rules" in item:
            q = _compile_group(item, today=today, within=within)
        else:
            q = _FIELDS[item["field"]].to_q(item["operator"], item["value"], today=today, within=within)
        result = q if not result else (result & q if group["op"] == "and" else result | q)
    return result


def definition_describe(definition) -> str:
    """The rules in plain words: "生命周期 为 流失风险 或 已流失，且 档位 ≥ 20"; nested groups in brackets."""
    try:
        cleaned = definition_validate(definition)
    except ValidationError:
        return _("（规则有误）")
    text = _describe_group(cleaned, nested=False)
    return text or _("全部客户")


def _describe_group(group: dict, *, nested: bool) -> str:
    parts = []
    for item in group["rules"]:
        if "rules" in item:
            parts.append(_describe_group(item, nested=True))
        else:
            parts.append(_FIELDS[item["field"]].describe(item["operator"], item["value"]))
    joiner = _("，且 ") if group["op"] == "and" else _("，或 ")
    text = joiner.join(parts)
    return f"（{text}）" if nested and len(parts) > 1 else text
