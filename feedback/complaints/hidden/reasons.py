"""Hidden complaints (隐性投诉): retailers who show discontent without filing anything. Each reason comes from a
registered *source* — a function that, for a queryset of retailers (already scoped) and a day, returns the
retailers it flags with the reason in words and the moment the signal began. A source works set-based (one query
or a few), never per retailer.

Built in: orders fell sharply (sales period summaries) and a low complaint follow-up rating. The survey module
registers low survey scores the same way:

    from feedback.complaints.hidden.reasons import HiddenReason, hidden_reason_source_register
    hidden_reason_source_register(code="survey-low", label=_("调查低分"), source=my_function)
"""

import dataclasses
import datetime
from collections.abc import Callable, Iterable

from django.db.models import QuerySet


@dataclasses.dataclass(frozen=True)
class HiddenReason:
    retailer_id: int
    code: str
    reason: str
    since: datetime.datetime  # filing or being called after this clears the flag
    weight: int = 1  # how strongly it asks for a call (orders the list)


Source = Callable[..., Iterable[HiddenReason]]


@dataclasses.dataclass(frozen=True)
class RegisteredSource:
    code: str
    label: str
    source: Source


_SOURCES: dict[str, RegisteredSource] = {}


def hidden_reason_source_register(*, code: str, label, source: Source) -> None:
    """Adds (or replaces) a source: source(*, retailers: QuerySet[Retailer], today: date) -> Iterable[HiddenReason]."""
    _SOURCES[code] = RegisteredSource(code=code, label=label, source=source)


def hidden_reason_sources() -> list[RegisteredSource]:
    return list(_SOURCES.values())


def reasons_for(*, retailers: QuerySet, today: datetime.date, codes: Iterable[str] | None = None):
    wanted = set(codes) if codes else None
    for registered in hidden_reason_sources():
        if wanted is None or registered.code in wanted:
            yield from registered.source(retailers=retailers, today=today)
