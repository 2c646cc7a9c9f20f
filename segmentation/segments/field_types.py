"""The kinds of field a segment rule can test on the retailer's own row or its current score (RetailerScore): how
each checks a value, compiles to a condition over Retailer and reads out in words. The rule format, operators and
limits are in segments.rules; the kinds over purchases in segments.purchase_fields."""

import datetime
from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from segmentation.scoring.models import RetailerScore
from segmentation.segments.rules import (
    COMPARISONS,
    GROUPS,
    MAX_DAYS,
    MAX_ITEMS,
    MAX_TEXT,
    NO_VALUE,
    OPERATOR_LABELS,
    RETAILER,
    SCORE,
    RuleValueError,
)

_LOOKUPS = {"eq": "exact", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte", "between": "range"}


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
        return comparison(self.column, operator, self.stored(value))

    def describe(self, operator, value):
        return comparison_text(str(self.label), operator, value, self.unit)


def comparison(column: str, operator: str, value) -> Q:
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


def comparison_text(label: str, operator: str, value, unit) -> str:
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
        return whole_number(value, low=0, high=MAX_DAYS, what=_("天数"))

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
            return Q(**{f"{c}__gte": self._bound(today), f"{c}__lt": self._bound(day_plus(today, value + 1))})
        if operator == "after_days":
            return Q(**{f"{c}__gte": self._bound(day_plus(today, value + 1))})
        if operator == "last_days":
            return Q(
                **{
                    f"{c}__gte": self._bound(day_plus(today, -value)),
                    f"{c}__lt": self._bound(day_plus(today, 1)),
                }
            )
        return Q(**{f"{c}__lt": self._bound(day_plus(today, -value))})  # before_days

    def describe(self, operator, value):
        templates = {
            "next_days": _("%(field)s 在未来 %(n)s 天内"),
            "after_days": _("%(field)s 在 %(n)s 天以后"),
            "last_days": _("%(field)s 在近 %(n)s 天内"),
            "before_days": _("%(field)s 在 %(n)s 天以前"),
            "expired": _("%(field)s 已过期"),
        }
        return templates[operator] % {"field": self.label, "n": value}


def day_plus(day: datetime.date, days: int) -> datetime.date:
    return day + datetime.timedelta(days=days)


def whole_number(value, *, low: int, high: int, what) -> int:
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
