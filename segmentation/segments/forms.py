"""The segment builder's form: the rule tree travels as flat form fields, one set per node, named by the node's
path ("r" is the root group, "2.1" the first item of its second item):

    node=<path> (one per node, in document order)   kind_<path>=rule|group   op_<path>=and|or (groups)
    field_<path>  operator_<path>  value_<path> (repeated for lists and ranges)  days_<path>  weeks_<path>
    shown_<path>=<field>:<operator>   what the page showed, so a change of field or operator re-renders the rule

`definition_from_post` rebuilds the tree with the raw strings (segments.rules validates and types them);
`builder_rows` turns a tree (valid or not) back into what the template draws, with each rule's errors.
"""

from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext_lazy as _

from segmentation.segments.field_types import ChoiceField, NumberField
from segmentation.segments.models import Segment
from segmentation.segments.purchase_fields import MeasureField, PurchaseField
from segmentation.segments.rules import (
    GROUP_OPS,
    GROUPS,
    MAX_DAYS,
    MAX_DEPTH,
    MAX_RULES,
    NO_VALUE,
    OPERATOR_LABELS,
    field_get,
    fields_all,
)
from segmentation.segments.selectors import segment_units_usable
from users.models import OrgUnit

ROOT = "r"
CHIPS_UP_TO = 12  # a choice list this short shows as toggle chips; a longer one as a multiple select
DEFAULT_DAYS = 90
DEFAULT_WEEKS = 4


class SegmentForm(forms.Form):
    """Name, description and territory; the rules come from definition_from_post. A plain form: the service
    validates the whole segment (rules, unit, the name's uniqueness) in one place."""

    name = forms.CharField(label=_("名称"), max_length=100)
    description = forms.CharField(label=_("说明"), max_length=500, required=False)
    org_unit = forms.ModelChoiceField(label=_("覆盖范围"), queryset=OrgUnit.objects.none())

    def __init__(self, *args, user, segment: Segment | None = None, **kwargs):
        if segment is not None:
            kwargs.setdefault(
                "initial",
                {"name": segment.name, "description": segment.description, "org_unit": segment.org_unit_id},
            )
        elif user.org_unit_id:
            kwargs.setdefault("initial", {"org_unit": user.org_unit_id})
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = segment_units_usable(user=user)
        self.fields["org_unit"].label_from_instance = lambda unit: (
            f"{'　' * (unit.path.count('/') - 2)}{unit}"
        )


def _parent(path: str) -> str:
    return path.rsplit(".", 1)[0] if "." in path else ROOT


def definition_from_post(data) -> dict:
    """The rule tree a builder form describes, values as posted (strings)."""
    root = {"op": data.get(f"op_{ROOT}", "and"), "rules": []}
    groups = {ROOT: root}
    for path in data.getlist("node"):
        if path == ROOT or path in groups:
            continue
        parent = groups.get(_parent(path), root)
        if data.get(f"kind_{path}") == "group":
            node = {"op": data.get(f"op_{path}", "and"), "rules": []}
            groups[path] = node
        else:
            node = _rule_from_post(data, path)
        parent["rules"].append(node)
    return root


def _rule_from_post(data, path: str) -> dict:
    name = data.get(f"field_{path}", "")
    operator = data.get(f"operator_{path}", "")
    spec = field_get(name)
    values = data.getlist(f"value_{path}")
    single = values[0] if values else ""
    value: object = single
    if isinstance(spec, ChoiceField):
        value = values
    elif isinstance(spec, PurchaseField):
        value = {"items": values, "days": data.get(f"days_{path}", "")}
    elif isinstance(spec, MeasureField):
        inner = values[:2] if operator == "between" else single
        value = {"weeks": data.get(f"weeks_{path}", ""), "value": inner}
    elif operator == "between":
        value = values[:2]
    elif operator in NO_VALUE:
        value = None
    elif spec is not None and spec.type == "bool":
        value = {"true": True, "false": False}.get(single, single)
    shown_field, _sep, shown_operator = data.get(f"shown_{path}", "").partition(":")
    if shown_field != name:  # a new field: its operator and value start afresh
        return {"field": name, "operator": "", "value": None, "_changed": True}
    rule = {"field": name, "operator": operator, "value": value}
    if shown_operator != operator:
        rule["_changed"] = True
    return rule


def builder_defaults(definition: dict) -> dict:
    """Fill in what a freshly chosen field starts with: its first operator and a default window of days or
    weeks (a value the user cleared stays empty, so the builder says what is missing)."""
    for node in definition["rules"]:
        if "rules" in node:
            builder_defaults(node)
            continue
        spec = field_get(node.get("field") or "")
        if spec is None:
            continue
        if node.get("operator") not in spec.operators:
            node["operator"], node["value"] = spec.operators[0], None
        if node.get("value") is not None:
            continue
        if isinstance(spec, PurchaseField):
            node["value"] = {"items": [], "days": DEFAULT_DAYS}
        elif isinstance(spec, MeasureField):
            node["value"] = {"weeks": DEFAULT_WEEKS, "value": None}
        elif spec.type == "date-relative" and node["operator"] not in NO_VALUE:
            node["value"] = DEFAULT_DAYS
        elif spec.type == "bool":
            node["value"] = True
    return definition


def structure_changed(definition: dict) -> bool:
    """Whether a rule's field or operator differs from what the page showed (its inputs must be redrawn)."""
    return any(
        structure_changed(node) if "rules" in node else node.get("_changed", False)
        for node in definition["rules"]
    )


def builder_apply(definition: dict, action: str) -> dict:
    """Apply a builder button: "add_rule:<group path>", "add_group:<group path>", "remove:<path>"."""
    verb, _sep, path = action.partition(":")
    if verb in ("add_rule", "add_group"):
        group = _node_at(definition, path)
        if group is not None and "rules" in group:
            group["rules"].append(_new_group() if verb == "add_group" else _new_rule())
    elif verb == "remove" and path != ROOT:
        parent = _node_at(definition, _parent(path))
        index = _index(path)
        if parent is not None and "rules" in parent and index is not None and index < len(parent["rules"]):
            del parent["rules"][index]
    return definition


def _index(path: str) -> int | None:
    last = path.rsplit(".", 1)[-1]
    return int(last) - 1 if last.isdigit() and int(last) > 0 else None


def _node_at(definition: dict, path: str):
    node = definition
    if path == ROOT:
        return node
    for part in path.split("."):
        if not part.isdigit() or "rules" not in node or not 0 < int(part) <= len(node["rules"]):
            return None
        node = node["rules"][int(part) - 1]
    return node


def _new_rule() -> dict:
    return {"field": "", "operator": "", "value": None}


def _new_group() -> dict:
    return {"op": "or", "rules": [_new_rule()]}


def new_definition() -> dict:
    """What a new segment starts from: active retailers."""
    return {"op": "and", "rules": [{"field": "status", "operator": "in", "value": ["active"]}]}


# ---- drawing ------------------------------------------------------------------------------------------------------
@dataclass
class Option:
    value: str
    label: str
    selected: bool


@dataclass
class Row:
    """One node as the template draws it."""

    path: str
    depth: int
    is_group: bool
    op: str = "and"
    children: list = field(default_factory=list)
    spec: object = None
    operator: str = ""
    operators: list = field(default_factory=list)
    input: str = ""  # which value inputs: choice-chips, choice-select, number, range, bool, days, text, none
    options: list = field(default_factory=list)
    value: str = ""
    low: str = ""
    high: str = ""
    days: str = ""
    weeks: str = ""
    unit: str = ""
    step: str = "1"
    errors: list = field(default_factory=list)
    may_add_group: bool = False

    @property
    def dom_id(self) -> str:
        return self.path.replace(".", "-")

    @property
    def shown(self) -> str:
        return f"{self.spec.name if self.spec else ''}:{self.operator}"


def field_groups() -> list[tuple[str, list]]:
    """The catalogue by group, for the field select's optgroups."""
    grouped: dict[str, list] = {}
    for spec in fields_all():
        grouped.setdefault(spec.group, []).append(spec)
    return [(str(GROUPS.get(name, name)), specs) for name, specs in grouped.items()]


def builder_rows(definition: dict, *, user, errors: dict[str, list[str]] | None = None) -> Row:
    """The root Row of a (possibly invalid, raw) definition; `errors` maps paths to messages."""
    errors = errors or {}
    return _group_row(definition, path=ROOT, depth=1, user=user, errors=errors)


def _group_row(node: dict, *, path: str, depth: int, user, errors) -> Row:
    row = Row(
        path=path,
        depth=depth,
        is_group=True,
        op=node.get("op") if node.get("op") in GROUP_OPS else "and",
        errors=errors.get("" if path == ROOT else path, []),
        may_add_group=depth < MAX_DEPTH,
    )
    for index, item in enumerate(node.get("rules") or [], start=1):
        child = str(index) if path == ROOT else f"{path}.{index}"
        if isinstance(item, dict) and "rules" in item:
            row.children.append(_group_row(item, path=child, depth=depth + 1, user=user, errors=errors))
        else:
            row.children.append(
                _rule_row(item if isinstance(item, dict) else {}, path=child, user=user, errors=errors)
            )
    return row


def _text(value) -> str:
    return "" if value is None or isinstance(value, list | dict) else str(value)


def _rule_row(node: dict, *, path: str, user, errors) -> Row:
    spec = field_get(node.get("field") or "")
    row = Row(path=path, depth=0, is_group=False, spec=spec, errors=errors.get(path, []))
    if spec is None:
        row.input = "none"
        return row
    row.operators = [(op, str(OPERATOR_LABELS[op])) for op in spec.operators]
    operator = node.get("operator")
    value = node.get("value")
    if operator not in spec.operators:
        operator, value = spec.operators[0], None
    row.operator = operator
    if isinstance(spec, PurchaseField):
        value = value if isinstance(value, dict) else {}
        row.days = _text(value.get("days"))
        _choice_inputs(row, spec.items, value.get("items"), user=user)
        return row
    if isinstance(spec, MeasureField):
        value = value if isinstance(value, dict) else {}
        row.weeks = _text(value.get("weeks"))
        _number_inputs(row, spec.number, operator, value.get("value"))
        return row
    if isinstance(spec, ChoiceField):
        _choice_inputs(row, spec, value, user=user)
    elif isinstance(spec, NumberField):
        _number_inputs(row, spec, operator, value)
    elif spec.type == "bool":
        row.input = "bool"
        row.value = "false" if value is False or value == "false" else "true"
    elif spec.type == "date-relative":
        row.input = "none" if operator in NO_VALUE else "days"
        row.days = _text(value)
        row.unit = str(_("天"))
    else:
        row.input = "text"
        row.value = _text(value)
    return row


def _choice_inputs(row: Row, spec: ChoiceField, value, *, user) -> None:
    chosen = {str(v) for v in value} if isinstance(value, list) else set()
    row.options = [Option(str(v), str(label), str(v) in chosen) for v, label in spec.choices_for(user=user)]
    row.input = "choice-chips" if len(row.options) <= CHIPS_UP_TO else "choice-select"


def _number_inputs(row: Row, spec: NumberField, operator: str, value) -> None:
    row.unit = str(spec.unit)
    row.step = "1" if spec.integer else "0.01"
    if operator in NO_VALUE:
        row.input = "none"
    elif operator == "between":
        row.input = "range"
        low, high = [*value, "", ""][:2] if isinstance(value, list) else ("", "")
        row.low, row.high = _text(low), _text(high)
    else:
        row.input = "number"
        row.value = _text(value)


def errors_by_path(items: list[dict]) -> dict[str, list[str]]:
    """{path: [messages]} from segments.rules.rule_errors."""
    grouped: dict[str, list[str]] = {}
    for item in items:
        grouped.setdefault(item["path"], []).append(item["message"])
    return grouped


def rule_paths(row: Row) -> list[str]:
    """Every node's path under a root Row, for clearing their error slots."""
    paths = []
    for child in row.children:
        paths.append(child.path)
        if child.is_group:
            paths += rule_paths(child)
    return paths


LIMITS = {"max_days": MAX_DAYS, "max_rules": MAX_RULES, "max_depth": MAX_DEPTH}
