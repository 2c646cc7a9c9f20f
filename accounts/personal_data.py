"""What the system holds about a retailer, and what a personal-information request (PIPL) does with it.

Every model that references Retailer, and every model that holds a personal column (a phone, an ID-card number,
a bank account, an owner's name or e-mail: `personal_columns`), has one decision in PRIVACY_DECISIONS, registered
by the app that owns the model from its AppConfig.ready() (its `privacy.py`), the way merge decisions are:

- ERASE: on erasure the rows about the person are deleted;
- ANONYMISE: the rows stay (they are the company's records), `fields` are cleared and the person's values are
  replaced by *** in the free-text `scrub` fields;
- KEEP: the rows stay as they are, for the reason in `why` (a legal retention period, or no personal data).

The personal columns of a model that references Retailer must each be named in `fields` (cleared) or `kept`
(kept for `why`). A model that holds a personal column but no reference to Retailer is matched by the value (the
person's phone number): its key is (label, that column). The see-export (privacy.services) reads every decision's
rows; the erasure applies them in registration order and writes the statement of what was kept and why.
`manage.py registries` lists them; a system check and tests/privacy/test_privacy_registry.py fail when a model
holds data about a retailer without a decision."""

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import models

from accounts.dedupe.services import retailer_references
from core.masking import PERSONAL_FIELDS
from core.registry import Registry

# A column whose name says it holds a person's identifier or contact (besides core.masking's PERSONAL_FIELDS).
PERSONAL_COLUMN_NAME = re.compile(
    r"^(mobile|phone|.*_mobile|.*_phone|to_number|from_number|email|owner_name|owner_birthday|address)$"
)
SCRUBBED = "***"
# The key of the retailer's own record in PRIVACY_DECISIONS.
RETAILER = ("accounts.Retailer", "id")

# handler(*, rows, retailer_id, values): runs inside the erasure's transaction, set-based; `rows` is the queryset of
# the model's rows about the person, `values` the person's values before erasure (mobile, email, owner_name,
# owner_id_number, bank_account; non-empty ones only). Returns the number of rows it changed or deleted.
PrivacyHandler = Callable[..., int]


class PrivacyAction(enum.StrEnum):
    ERASE = "erase"
    ANONYMISE = "anonymise"
    KEEP = "keep"


@dataclass(frozen=True)
class PrivacyDecision:
    action: PrivacyAction
    why: str
    fields: tuple[str, ...] = ()  # cleared on erasure
    scrub: tuple[str, ...] = ()  # free text: the person's values replaced by ***
    kept: tuple[str, ...] = ()  # personal columns deliberately kept, for `why`
    handler: PrivacyHandler | None = None  # instead of the generic one
    export: bool = True  # its rows go into the see-export
    # "text": rows are those whose `field` (text or JSON) contains one of the person's values anywhere — logs and
    # files that mention the person without a reference (an export's search filter, an import file's cells)
    match: str = ""

    def __str__(self) -> str:
        parts = [str(self.action)]
        if self.fields:
            parts.append("clears " + ", ".join(self.fields))
        if self.scrub:
            parts.append("scrubs " + ", ".join(self.scrub))
        if self.kept:
            parts.append("keeps " + ", ".join(self.kept))
        if self.handler:
            parts.append(f"by {getattr(self.handler, '__qualname__', self.handler)}")
        return f"{'; '.join(parts)}: {self.why}"


PRIVACY_DECISIONS: Registry[tuple[str, str], PrivacyDecision] = Registry(
    "privacy",
    owner="accounts",
    doc="(model label, field) of every reference to Retailer and every personal column -> erase, anonymise or "
    "keep on a PIPL deletion (and why); every entry's rows go into the person's see-export",
)


def privacy_declare(
    label: str,
    action: PrivacyAction,
    *,
    why: str,
    field: str = "retailer",
    fields=(),
    scrub=(),
    kept=(),
    handler: PrivacyHandler | None = None,
    export: bool = True,
    match: str = "",
    by: str | None = None,
) -> None:
    """Declare what a PIPL deletion does with `label`'s rows about a retailer (matched by `field`; with
    match="text", by the person's values appearing anywhere in `field`)."""
    if match not in ("", "text"):
        raise ValueError(match)
    decision = PrivacyDecision(action, why, tuple(fields), tuple(scrub), tuple(kept), handler, export, match)
    PRIVACY_DECISIONS.register((label, field), decision, by=by or label.split(".", 1)[0])


def personal_columns(model) -> list[str]:
    """The model's text columns that hold a person's identifier or contact, by name."""
    return [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and (f.name in PERSONAL_FIELDS or PERSONAL_COLUMN_NAME.match(f.name))
    ]


def _project_models():
    base = str(settings.BASE_DIR)
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_config.path.startswith(base):
            yield model


def privacy_subjects() -> list[tuple[str, str]]:
    """(label, field) that need a decision: every reference to Retailer, and each personal column of a project
    model that holds no reference to Retailer."""
    references = retailer_references()
    referencing = {label for label, _field in references} | {RETAILER[0]}
    found = [RETAILER, *references]
    for model in _project_models():
        if model._meta.label not in referencing:
            found += [(model._meta.label, name) for name in personal_columns(model)]
    return found


def privacy_decisions_missing() -> list[str]:
    """What lacks a decision: '(label, field)' without an entry, and personal columns of a referencing model that
    no decision of that model clears or keeps."""
    missing = [
        f"{label}.{field}" for label, field in privacy_subjects() if (label, field) not in PRIVACY_DECISIONS
    ]
    by_label: dict[str, set[str]] = {}
    for (label, _field), decision in PRIVACY_DECISIONS.items():
        by_label.setdefault(label, set()).update(decision.fields, decision.kept)
    for label in {label for label, _field in retailer_references()} | {RETAILER[0]}:
        model = apps.get_model(label)
        missing += [
            f"{label}.{name} (personal column)"
            for name in personal_columns(model)
            if name not in by_label.get(label, set())
        ]
    return missing


def privacy_decisions_check(app_configs=None, **kwargs) -> list:
    """System check: every model that holds data about a retailer has a privacy decision."""
    from django.core import checks

    return [
        checks.Error(
            f"{what} holds data about a retailer but has no privacy decision",
            hint="Declare accounts.personal_data.privacy_declare(...) in the owning app's privacy.py (erase, "
            "anonymise or keep, and why; name each personal column in fields= or kept=).",
            id="accounts.E002",
        )
        for what in privacy_decisions_missing()
    ]


# ---- reading and erasing what the decisions name ------------------------------------------------------------------


def person_values(retailer) -> dict[str, str]:
    """The person's identifying values, non-empty ones: what erasure looks for in free text and in columns matched by
    value (a phone in the SMS replies)."""
    values = {
        "mobile": retailer.mobile,
        "email": retailer.email,
        "owner_name": retailer.owner_name,
        "owner_id_number": retailer.owner_id_number,
        "bank_account": retailer.bank_account,
    }
    # a value of one character would scrub half a sentence; a placeholder left by an earlier erasure is no value
    return {k: v for k, v in values.items() if v and len(v) >= 2 and v != SCRUBBED}


def _matched(label: str, field: str, *, retailer_id: int, values: dict[str, str], match: str = ""):
    """The rows of `label` about the person: by the retailer reference `field` (a lookup path is allowed), the
    record itself for RETAILER, by the person's phone number or e-mail for a personal column, or (match="text") by
    any of the person's values appearing in `field`."""
    from django.db.models import Q, TextField
    from django.db.models.functions import Cast

    model = apps.get_model(label)
    rows = model._default_manager.all()
    if match == "text":
        if not values:
            return rows.none()
        condition = Q()
        for value in values.values():
            condition |= Q(_privacy_text__contains=value)
        return model._default_manager.filter(
            pk__in=rows.annotate(_privacy_text=Cast(field, TextField())).filter(condition).values("pk")
        )
    if (label, field) == RETAILER:
        return rows.filter(pk=retailer_id)
    if "__" in field:
        return rows.filter(**{field: retailer_id})
    f = model._meta.get_field(field)
    if f.is_relation or isinstance(f, models.IntegerField):
        return rows.filter(**{f.attname: retailer_id})
    wanted = [v for k, v in values.items() if k in ("mobile", "email")]
    return rows.filter(**{f"{field}__in": wanted}) if wanted else rows.none()


def scrubbed(model, name: str, values: dict[str, str]):
    """An expression: column `name` with each of the person's values replaced by ***."""
    from django.db.models import F, TextField, Value
    from django.db.models.functions import Cast, Replace

    field = model._meta.get_field(name)
    is_json = isinstance(field, models.JSONField)
    expression = Cast(F(name), TextField()) if is_json else F(name)
    for value in values.values():
        expression = Replace(expression, Value(value), Value(SCRUBBED))
    return Cast(expression, models.JSONField()) if is_json else expression


def cleared(model, name: str):
    """The value a cleared column takes: NULL where allowed, else the field's empty default."""
    field = model._meta.get_field(name)
    if field.null:
        return None
    default = field.get_default()
    return default if default is not None else ""


def rows_anonymise(rows, *, fields=(), scrub=(), values: dict[str, str]) -> int:
    """One UPDATE: `fields` cleared, the person's values scrubbed from `scrub`. Returns the rows changed."""
    model = rows.model
    changes = {name: cleared(model, name) for name in fields}
    if values:
        changes.update({name: scrubbed(model, name, values) for name in scrub})
    return rows.update(**changes) if changes else 0


def personal_data_collect(*, retailer) -> list[dict]:
    """Everything held about the retailer, one entry per decision with rows: {label, field, title, header, rows}
    (values as stored, unmasked: this is the person's own copy)."""
    values = person_values(retailer)
    found = []
    for (label, field), decision in PRIVACY_DECISIONS.items():
        if not decision.export:
            continue
        rows = _matched(label, field, retailer_id=retailer.pk, values=values, match=decision.match).order_by(
            "pk"
        )
        model = rows.model
        names = [f.attname for f in model._meta.concrete_fields]
        data = [list(row) for row in rows.values_list(*names)]
        if data:
            found.append(
                {
                    "label": label,
                    "field": field,
                    "title": str(model._meta.verbose_name),
                    "header": names,
                    "rows": data,
                }
            )
    return found


def personal_data_erase(*, retailer) -> list[dict]:
    """Apply every decision to the rows about the retailer, in registration order (the caller holds the
    transaction and the retailer's row lock). Returns the statement: one entry per decision with rows, saying what
    was done, what was kept and why."""
    values = person_values(retailer)
    statement = []
    for (label, field), decision in PRIVACY_DECISIONS.items():
        rows = _matched(label, field, retailer_id=retailer.pk, values=values, match=decision.match)
        if decision.handler is not None:
            changed = decision.handler(rows=rows, retailer_id=retailer.pk, values=values)
        elif decision.action == PrivacyAction.ERASE:
            changed = rows.delete()[0]
        elif decision.action == PrivacyAction.ANONYMISE:
            changed = rows_anonymise(rows, fields=decision.fields, scrub=decision.scrub, values=values)
        else:
            changed = 0
        left = rows.count()
        if changed or left:
            statement.append(
                {
                    "model": label,
                    "field": field,
                    "action": str(decision.action),
                    "changed": changed,
                    "kept_rows": left,
                    "cleared": list(decision.fields),
                    "scrubbed": list(decision.scrub),
                    "kept_fields": list(decision.kept),
                    "why": decision.why,
                }
            )
    return statement
