"""System-written text: what the system itself writes into a timeline, a history or a ledger ("按规则分派给 王伟",
"推荐新店 …", "档位方案 #12 …") is stored as a code and its parameters, and worded when it is read, in the reader's
language — never as the words of whoever happened to trigger it.

One mechanism for every app:

- an app registers each of its codes once, with a `gettext_lazy` template using `%(name)s` fields, from its
  AppConfig.ready() (`system_message_register`); a field whose stored value is itself a code (a choice's value,
  a list) names how to word it (`choice_wording`, `list_wording`);
- a service stores `system_message(code, **params)` — a small dict {"code", "params"} — in the row's JSON field
  (named `message` by convention) and keeps the row's own text field for a person's words only (a note, a reason);
  the template may quote those as `%(text)s`;
- a page, a serializer or an export reads the row's `SystemText` attribute (`text_display = SystemText("text")`),
  which words the message in the active language, or gives the text as it was written when the row has no message
  (rows written before the codes, and plain notes).

Params hold language-neutral values only: ids, numbers, dates as ISO text, names of people and shops, choice
values. `manage.py registries` lists every code and the app that registered it."""

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.registry import Registry

Wording = Callable[[object], str]


@dataclass(frozen=True)
class SystemMessage:
    code: str
    template: object  # a gettext_lazy string with %(name)s fields
    wording: Mapping[str, Wording] = field(default_factory=dict)

    def __str__(self) -> str:
        return str(self.template)


SYSTEM_MESSAGES: Registry[str, SystemMessage] = Registry(
    "system-messages",
    owner="core",
    doc="code -> SystemMessage: the words of a system-written timeline, history or ledger line, rendered in the "
    "reader's language from the code and params stored on the row (core.messages)",
)


def system_message_register(code: str, template, *, by: str, **wording: Wording) -> str:
    """Register `code` (dotted, "<area>.<what>") with its template; returns the code, for a module constant."""
    SYSTEM_MESSAGES.register(code, SystemMessage(code=code, template=template, wording=wording), by=by)
    return code


def system_message(code: str, **params) -> dict:
    """What a service stores for a system-written line: {"code": code, "params": params}. An unknown code or a
    param that JSON cannot hold is a programming error (ValueError), caught by the first test that writes it."""
    if code not in SYSTEM_MESSAGES:
        raise ValueError(f"unregistered system message code {code!r}")
    try:
        json.dumps(params)
    except TypeError as exc:
        raise ValueError(f"system message {code!r}: params must be JSON values ({exc})") from exc
    return {"code": code, "params": params}


def system_message_text(stored: Mapping | None, *, text: str = "") -> str:
    """The line in the active language: the stored message worded, else `text` as written. A code no longer
    registered, or params that no longer fit its template, fall back to `text` (or the bare code), never an error
    on a page."""
    code = (stored or {}).get("code")
    if not code:
        return text
    entry = SYSTEM_MESSAGES.get(code)
    if entry is None:
        return text or code
    params = dict(stored.get("params") or {})
    values = {
        name: (entry.wording[name](value) if name in entry.wording else value)
        for name, value in params.items()
    }
    values["text"] = text
    try:
        return str(entry.template) % values
    except (KeyError, TypeError, ValueError):
        return text or code


def system_message_field() -> models.JSONField:
    """The column a row keeps its system-written message in; NULL for a person's own words and for rows written
    before the codes (so set-based INSERTs that do not name it stay valid)."""
    return models.JSONField(
        _("系统说明"), null=True, blank=True, help_text=_("系统写入的说明：代码与参数，按读者的语言显示")
    )


class SystemText:
    """A model attribute giving a row's system-written text in the reader's language:
    `text_display = SystemText("text")` words the row's `message` field, else gives its `text` field."""

    def __init__(self, text_field: str, message_field: str = "message"):
        self.text_field, self.message_field = text_field, message_field
        self.owner = None

    def __set_name__(self, owner, name):
        self.owner = owner

    @property
    def short_description(self):
        """The admin's column title: the text field's own name."""
        return self.owner._meta.get_field(self.text_field).verbose_name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return system_message_text(
            getattr(instance, self.message_field, None), text=getattr(instance, self.text_field, "") or ""
        )


def choice_wording(choices) -> Wording:
    """Words a stored choice value by its label (TextChoices or a (value, label) list), at read time."""

    def word(value) -> str:
        labels = dict(choices.choices if hasattr(choices, "choices") else choices)
        return str(labels.get(value, value))

    return word


def list_wording(values: Iterable | object) -> str:
    """Words a stored list in the reader's punctuation: 2027、2028 or 2027, 2028."""
    if isinstance(values, (list, tuple)):
        return gettext("、").join(str(v) for v in values)
    return str(values)


# ---- migrations: rows written before the codes ---------------------------------------------------------------------


@dataclass(frozen=True)
class LegacyPattern:
    """A system line as it used to be stored in Chinese: `pattern` (a PostgreSQL regular expression over the text
    column, its groups available as m[1], m[2]…) becomes `code` with `params` (a SQL jsonb expression over m) and
    the text column keeps `text` (a SQL expression: '' or the person's words quoted in the line)."""

    where: str
    pattern: str
    code: str
    params: str = "'{}'::jsonb"
    text: str = "''"


def legacy_rows_convert(
    connection, *, table: str, patterns: Iterable[LegacyPattern], text: str = "text", message: str = "message"
) -> int:
    """Set-based: every row of `table` without a message whose `text` matches a pattern gets the code and params
    (one UPDATE per pattern). Lines that match nothing (a person's words, text written in another language) stay
    as they are and are shown as written. Returns the rows converted."""
    done = 0
    with connection.cursor() as cursor:
        for p in patterns:
            cursor.execute(
                f"""
                UPDATE {table} t
                SET {message} = jsonb_build_object('code', %s::text, 'params', {p.params}), {text} = {p.text}
                FROM (
                    SELECT id, regexp_match({text}, %s) AS m FROM {table}
                    WHERE {message} IS NULL AND ({p.where})
                ) x
                WHERE t.id = x.id AND x.m IS NOT NULL
                """,  # noqa: S608 - table, columns and SQL fragments are the migration's constants
                [p.code, p.pattern],
            )
            done += cursor.rowcount
    return done


def legacy_rows_restore(
    model, *, text: str = "text", message: str = "message", language: str = "zh-hans"
) -> int:
    """The reverse of legacy_rows_convert (a migration rolled back): the coded rows get their words back as text,
    in `language`, so nothing is lost when the message column goes."""
    from django.utils import translation

    limit = model._meta.get_field(text).max_length
    done = 0
    with translation.override(language):
        for row in model.objects.filter(**{f"{message}__isnull": False}).iterator():
            words = system_message_text(getattr(row, message), text=getattr(row, text))
            setattr(row, text, words[:limit] if limit else words)
            setattr(row, message, None)
            row.save(update_fields=[text, message])
            done += 1
    return done
