"""Saved-segment rules: the rule tree, the kinds of field it can test, validation, the compiler to one SQL
condition over accounts.Retailer, and the plain-words description. The fields themselves are registered in
segmentation.rule_fields (the catalogue).

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

Extending: `register(SomeField(...))` — segmentation.rule_fields registers the catalogue when the app is ready;
another app registers its own fields in its AppConfig.ready(). A new RetailerScore column is one line there:
`register(ScoreChoiceField(...))` or `register(NumberField(..., source=SCORE))`.
"""

import datetime
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sales.models import OrderLine, RetailerPeriodSummary
from segmentation.models import RetailerScore

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
_LOOKUPS = {"eq": "exact", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte", "between": "range"}


class RuleValueError(Exception):
    """A rule's value does not fit its field; the message says how (without the path, which the caller adds)."""


# ---- the kinds of field ------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Field(ABC):
    """One entry of the catalogue. Subclasses say how a value is checked, compiled to a Q over Retailer and read
    out in words. `source` is RETAILER (a Retailer column) or SCORE (a RetailerScore column, compiled as an
    `id IN (SELECT retailer_id …)` subquery)."""

    type: ClassVar[str] = ""

    name: str
    label: Any
    group: str = RETAILER
    column: str = ""
    source: str = RETAILER
    help_text: Any = ""
    operators: tuple[str, ...] = ()

    def __post_init__(self):
        if not self.column and self.source in (RETAILER, SCORE):
            object.__setattr__(self, "column", self.name)

    # -- what a client needs to build a rule
    def describe_for_client(self, *, user=None) -> dict:
        return {
            "name": self.name,
            "label": str(self.label),
            "type": self.type,
            "group": self.group,
            "group_label": str(GROUPS.get(self.group, self.group)),
            "help_text": str(self.help_text),
            "operators": [{"name": op, "label": str(OPERATOR_LABELS[op])} for op in self.operators],
            "choices": None,
        }

    # -- checking, compiling, reading out
    @abstractmethod
    def clean(self, operator: str, value, *, user=None):
        """The normalised value, or RuleValueError."""

    def condition(self, operator: str, value, *, today: datetime.date) -> Q:
        """The condition on this field's own model (Retailer or RetailerScore), which the default to_q wraps.
        Not abstract: a field that compiles itself in to_q (purchases, a subquery over orders) has none."""
        raise TypeError(f"{type(self).__name__} compiles its rules in to_q and has no single-model condition")

    def to_q(self, operator: str, value, *, today: datetime.date, within=None) -> Q:
        """The condition over Retailer. `within` (a Retailer queryset: the segment's territory, or None) lets a
        subquery that would otherwise read every retailer's rows read only those of the territory."""
        condition = self.condition(operator, value, today=today)
        if self.source == SCORE:
            return Q(id__in=RetailerScore.objects.filter(condition).values("retailer_id"))
        return condition

    def describe(self, operator: str, value) -> str:
        return f"{self.label} {OPERATOR_LABELS[operator]} {value}"


@dataclass(frozen=True, kw_only=True)
class ChoiceField(Field):
    """One of a fixed list of (value, label) pairs, `choices`."""

    type: ClassVar[str] = "choice"
    operators: tuple[str, ...] = ("in", "not_in")
    choices: tuple = ()

    def choices_for(self, *, user=None) -> list[tuple]:
        return list(self.choices)

    def known(self, values: list, *, user=None) -> dict[str, tuple]:
        """{key: (value as the choices type it, label)} for those of `values` that are valid choices."""
        keys = {_key(v) for v in values}
        return {_key(v): (v, label) for v, label in self.choices_for(user=user) if _key(v) in keys}

    def describe_for_client(self, *, user=None) -> dict:
        data = super().describe_for_client(user=user)
        data["choices"] = [{"value": v, "label": str(lab)} for v, lab in self.choices_for(user=user)]
        return data

    def clean(self, operator, value, *, user=None):
        if not isinstance(value, list) or not value:
            raise RuleValueError(_("请至少选择一项"))
        if len(value) > MAX_ITEMS:
            raise RuleValueError(_("最多选择 %(n)s 项") % {"n": MAX_ITEMS})
        if any(not isinstance(v, str | int) or isinstance(v, bool) or "\x00" in str(v) for v in value):
            raise RuleValueError(_("选项应为文字或整数"))
        known = self.known(value, user=user)
        unknown = [str(v) for v in value if _key(v) not in known]
        if unknown:
            raise RuleValueError(_("无效的选项：%(values)s") % {"values": "、".join(unknown[:5])})
        return list(dict.fromkeys(known[_key(v)][0] for v in value))

    def condition(self, operator, value, *, today):
        q = Q(**{f"{self.column}__in": value})
        return q if operator == "in" else ~q

    def names(self, values: list) -> list[str]:
        known = self.known(values)
        return [str(known[_key(v)][1]) if _key(v) in known else str(v) for v in values]

    def describe(self, operator, value):
        names = self.names(value)
        if operator == "in":
            return _("%(field)s 为 %(values)s") % {"field": self.label, "values": _(" 或 ").join(names)}
        return _("%(field)s 不为 %(values)s") % {"field": self.label, "values": "、".join(names)}


def _key(value) -> str:
    """Choice values compare as text, so "3" from a form and 3 from JSON name the same choice."""
    return str(value)


@dataclass(frozen=True, kw_only=True)
class ModelChoiceField(ChoiceField):
    """A choice among rows of a table (org units, routes, products, brands): `queryset(user)` gives the rows the
    user may pick (every row without a user), `value_attr` the value a rule stores, `label_of(row)` its label."""

    queryset: Any = None
    label_of: Any = str
    value_attr: str = "pk"

    def choices_for(self, *, user=None):
        return [(getattr(row, self.value_attr), self.label_of(row)) for row in self.queryset(user)]

    def known(self, values, *, user=None):
        if self.value_attr == "pk":
            wanted = [int(v) for v in values if _is_int(v)]
        else:
            wanted = [v for v in values if isinstance(v, str)]
        if not wanted:
            return {}
        rows = self.queryset(user).filter(**{f"{self.value_attr}__in": wanted})
        return {
            _key(getattr(r, self.value_attr)): (getattr(r, self.value_attr), self.label_of(r)) for r in rows
        }


def _is_int(value) -> bool:
    """An int (or a string of digits) that fits a bigint column."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**63) < value < 2**63
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19


def _number(value, *, integer: bool) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise RuleValueError(_("应为数字"))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise RuleValueError(_("应为数字")) from exc
    if not number.is_finite():
        raise RuleValueError(_("应为数字"))
    if integer and number != number.to_integral_value():
        raise RuleValueError(_("应为整数"))
    return number


def _plain(number: Decimal):
    """A JSON-friendly number: an int when whole, else a float."""
    return int(number) if number == number.to_integral_value() else float(number)


@dataclass(frozen=True, kw_only=True)
class NumberField(Field):
    """A number compared with eq … between. `scale` turns the value a user types into the stored unit (100 for
    yuan → fen); bounds are in the user's unit. `nullable` adds empty / not_empty."""

    type: ClassVar[str] = "number"
    operators: tuple[str, ...] = COMPARISONS
    min_value: float | int | None = None
    max_value: float | int | None = None
    integer: bool = True
    scale: int = 1
    unit: Any = ""
    nullable: bool = False

    def __post_init__(self):
        super().__post_init__()
        if self.nullable and "empty" not in self.operators:
            object.__setattr__(self, "operators", (*self.operators, "empty", "not_empty"))

    def describe_for_client(self, *, user=None):
        data = super().describe_for_client(user=user)
        data.update(
            min=self.min_value,
            max=self.max_value,
            step=1 if self.integer else 0.01,
            unit=str(self.unit),
        )
        return data

    def clean_number(self, value):
        number = _number(value, integer=self.integer)
        if (self.min_value is not None and number < Decimal(str(self.min_value))) or (
            self.max_value is not None and number > Decimal(str(self.max_value))
        ):
            raise RuleValueError(
                _("应在 %(low)s 到 %(high)s 之间") % {"low": self.min_value, "high": self.max_value}
            )
        if not self.integer and number.as_tuple().exponent < -2:
            raise RuleValueError(_("最多两位小数"))
        return _plain(number)

    def clean(self, operator, value, *, user=None):
        if operator in NO_VALUE:
            return None
        if operator == "between":
            if not isinstance(value, list) or len(value) != 2:
                raise RuleValueError(_("应为两个数：下限和上限"))
            low, high = (self.clean_number(v) for v in value)
            if low > high:
                raise RuleValueError(_("下限不能大于上限"))
            return [low, high]
        return self.clean_number(value)

    def stored(self, value):
        """The user's number in the stored unit (fen for yuan), as the column's type."""
        if value is None:
            return None
        if isinstance(value, list):
            return [self.stored(v) for v in value]
        scaled = Decimal(str(value)) * self.scale
        return int(scaled.to_integral_value()) if self.integer or self.scale != 1 else scaled

    def condition(self, operator, value, *, today):
        return _compare(self.column, operator, self.stored(value))

    def describe(self, operator, value):
        return _describe_comparison(str(self.label), operator, value, self.unit)


def _compare(column: str, operator: str, value) -> Q:
    if operator == "empty":
        return Q(**{f"{column}__isnull": True})
    if operator == "not_empty":
        return Q(**{f"{column}__isnull": False})
    if operator == "ne":
        return Q(**{f"{column}__isnull": False}) & ~Q(**{column: value})
    return Q(**{f"{column}__{_LOOKUPS[operator]}": tuple(value) if operator == "between" else value})


def _format_number(value) -> str:
    """1500.5 -> "1,500.5"; 20 -> "20"."""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _describe_comparison(label: str, operator: str, value, unit) -> str:
    unit = f" {unit}" if unit else ""
    if operator == "empty":
        return _("%(field)s 未填写") % {"field": label}
    if operator == "not_empty":
        return _("%(field)s 已填写") % {"field": label}
    if operator == "between":
        return _("%(field)s 介于 %(low)s 和 %(high)s%(unit)s 之间") % {
            "field": label,
            "low": _format_number(value[0]),
            "high": _format_number(value[1]),
            "unit": unit,
        }
    return f"{label} {OPERATOR_LABELS[operator]} {_format_number(value)}{unit}"


@dataclass(frozen=True, kw_only=True)
class BoolField(Field):
    type: ClassVar[str] = "bool"
    operators: tuple[str, ...] = ("is",)

    def clean(self, operator, value, *, user=None):
        if not isinstance(value, bool):
            raise RuleValueError(_("应为 true 或 false"))
        return value

    def condition(self, operator, value, *, today):
        return Q(**{self.column: value})

    def describe(self, operator, value):
        return (
            _("%(field)s：是") % {"field": self.label}
            if value
            else _("%(field)s：否") % {"field": self.label}
        )


@dataclass(frozen=True, kw_only=True)
class RelativeDateField(Field):
    """A date (or a moment: `is_datetime`) compared with today: within the next/last N days, or beyond."""

    type: ClassVar[str] = "date-relative"
    operators: tuple[str, ...] = ("last_days", "before_days")
    is_datetime: bool = False

    def clean(self, operator, value, *, user=None):
        if operator in NO_VALUE:
            return None
        return _whole(value, low=0, high=MAX_DAYS, what=_("天数"))

    def _bound(self, day: datetime.date):
        """The start of the local day, for a moment column; the day itself for a date column."""
        if not self.is_datetime:
            return day
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    def condition(self, operator, value, *, today):
        c = self.column
        if operator == "expired":
            return Q(**{f"{c}__lt": self._bound(today)})
        if operator == "next_days":
            return Q(**{f"{c}__gte": self._bound(today), f"{c}__lt": self._bound(_plus(today, value + 1))})
        if operator == "after_days":
            return Q(**{f"{c}__gte": self._bound(_plus(today, value + 1))})
        if operator == "last_days":
            return Q(
                **{f"{c}__gte": self._bound(_plus(today, -value)), f"{c}__lt": self._bound(_plus(today, 1))}
            )
        return Q(**{f"{c}__lt": self._bound(_plus(today, -value))})  # before_days

    def describe(self, operator, value):
        templates = {
            "next_days": _("%(field)s 在未来 %(n)s 天内"),
            "after_days": _("%(field)s 在 %(n)s 天以后"),
            "last_days": _("%(field)s 在近 %(n)s 天内"),
            "before_days": _("%(field)s 在 %(n)s 天以前"),
            "expired": _("%(field)s 已过期"),
        }
        return templates[operator] % {"field": self.label, "n": value}


def _plus(day: datetime.date, days: int) -> datetime.date:
    return day + datetime.timedelta(days=days)


def _whole(value, *, low: int, high: int, what) -> int:
    if isinstance(value, bool) or not (_is_int(value) or (isinstance(value, float) and value.is_integer())):
        raise RuleValueError(_("%(what)s应为整数") % {"what": what})
    number = int(value)
    if not low <= number <= high:
        raise RuleValueError(
            _("%(what)s应在 %(low)s 到 %(high)s 之间") % {"what": what, "low": low, "high": high}
        )
    return number


@dataclass(frozen=True, kw_only=True)
class TextField(Field):
    type: ClassVar[str] = "text"
    operators: tuple[str, ...] = ("contains", "not_contains")

    def clean(self, operator, value, *, user=None):
        if not isinstance(value, str) or not value.strip():
            raise RuleValueError(_("请填写文字"))
        if "\x00" in value:
            raise RuleValueError(_("含有不允许的字符"))
        if len(value.strip()) > MAX_TEXT:
            raise RuleValueError(_("最多 %(n)s 个字") % {"n": MAX_TEXT})
        return value.strip()

    def condition(self, operator, value, *, today):
        q = Q(**{f"{self.column}__contains": value})
        return q if operator == "contains" else ~q

    def describe(self, operator, value):
        return f"{self.label} {OPERATOR_LABELS[operator]}“{value}”"


@dataclass(frozen=True, kw_only=True)
class PurchaseField(Field):
    """Bought (or not) any of some products — or of some brands (`by_brand`) — in the last N days: an EXISTS
    over the retailer's orders of the window and their lines."""

    type: ClassVar[str] = "product"
    group: str = PURCHASE
    source: str = PURCHASE
    operators: tuple[str, ...] = ("bought", "not_bought")
    items: ChoiceField = None

    def describe_for_client(self, *, user=None):
        data = super().describe_for_client(user=user)
        data["choices"] = [{"value": v, "label": str(lab)} for v, lab in self.items.choices_for(user=user)]
        data["max_days"] = MAX_DAYS
        return data

    def clean(self, operator, value, *, user=None):
        if not isinstance(value, dict):
            raise RuleValueError(_('应为 {"items": […], "days": N}'))
        items = self.items.clean("in", value.get("items"), user=user)
        days = _whole(value.get("days"), low=1, high=MAX_DAYS, what=_("天数"))
        return {"items": items, "days": days}

    def to_q(self, operator, value, *, today, within=None):
        lines = OrderLine.objects.filter(
            order__retailer_id=OuterRef("pk"),
            order__ordered_on__gte=_plus(today, -value["days"]),
            order__ordered_on__lte=today,
            **{f"{self.items.column}__in": value["items"]},
        )
        # not restricted to `within`: the EXISTS is correlated already, and the extra semi-join misleads the
        # planner into probing every (retailer, product) pair (measured: 0.2 s became 2 s for a county)
        q = Q(Exists(lines))
        return q if operator == "bought" else ~q

    def describe(self, operator, value):
        names = _(" 或 ").join(self.items.names(value["items"]))
        template = (
            _("近 %(days)s 天买过%(field)s %(items)s")
            if operator == "bought"
            else _("近 %(days)s 天未买过%(field)s %(items)s")
        )
        return template % {"days": value["days"], "field": self.label, "items": names}


@dataclass(frozen=True, kw_only=True)
class MeasureField(Field):
    """A sum over the weekly period summaries of the last N weeks (see the module docstring), compared like a
    number: `column` is the summary's column, `scale` and bounds as for NumberField."""

    type: ClassVar[str] = "measure"
    group: str = PURCHASE
    source: str = PURCHASE
    operators: tuple[str, ...] = COMPARISONS
    number: NumberField = None

    def describe_for_client(self, *, user=None):
        data = super().describe_for_client(user=user)
        inner = self.number.describe_for_client(user=user)
        data.update(
            min=inner["min"], max=inner["max"], step=inner["step"], unit=inner["unit"], max_weeks=MAX_WEEKS
        )
        return data

    def clean(self, operator, value, *, user=None):
        if not isinstance(value, dict):
            raise RuleValueError(_('应为 {"weeks": N, "value": 数值}'))
        weeks = _whole(value.get("weeks"), low=1, high=MAX_WEEKS, what=_("周数"))
        return {"weeks": weeks, "value": self.number.clean(operator, value.get("value"), user=user)}

    def to_q(self, operator, value, *, today, within=None):
        this_week = today - datetime.timedelta(days=today.weekday())
        rows = RetailerPeriodSummary.objects.filter(
            period=RetailerPeriodSummary.Period.WEEK,
            period_start__gte=this_week - datetime.timedelta(weeks=value["weeks"] - 1),
            period_start__lte=today,
        )
        if within is not None:
            # a county's retailers' rows through the retailer index, not a GROUP BY over the whole province
            rows = rows.filter(retailer_id__in=within.values("id"))
        totals = rows.values("retailer_id").annotate(total=Sum(self.column))
        stored = self.number.stored(value["value"])
        test = _compare("total", operator, stored)
        if _holds_for_zero(operator, stored):
            # no rows means 0, which passes: members are everyone but those whose total fails
            return ~Q(id__in=totals.exclude(test).values("retailer_id"))
        return Q(id__in=totals.filter(test).values("retailer_id"))

    def describe(self, operator, value):
        label = _("近 %(weeks)s 周%(field)s") % {"weeks": value["weeks"], "field": self.label}
        return _describe_comparison(label, operator, value["value"], self.number.unit)


def _holds_for_zero(operator: str, value) -> bool:
    if operator == "between":
        return value[0] <= 0 <= value[1]
    return {
        "eq": value == 0,
        "ne": value != 0,
        "gt": value < 0,
        "gte": value <= 0,
        "lt": value > 0,
        "lte": value >= 0,
    }[operator]


# ---- the registry ------------------------------------------------------------------------------------------------
_FIELDS: dict[str, Field] = {}


def register(spec: Field) -> Field:
    """Add (or replace, by name) a field of the catalogue."""
    if not spec.name or set(spec.operators) - set(OPERATOR_LABELS):
        raise ValueError(f"bad rule field {spec.name!r}")
    _FIELDS[spec.name] = spec
    return spec


def field_get(name: str) -> Field | None:
    return _FIELDS.get(name)


def fields_all() -> list[Field]:
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
