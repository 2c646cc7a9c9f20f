"""Hidden complaints (隐性投诉): retailers who show discontent without filing anything. Each reason comes from a
*source* — a function that, for a queryset of retailers (already scoped) and a day, returns the retailers it
flags with the reason in words and the moment the signal began. A source works set-based (one query or a few),
never per retailer. The sources are listed once, in feedback.complaints.hidden.selectors.SOURCES: orders fell
sharply (sales period summaries), a low complaint follow-up rating, a low survey score."""

import dataclasses
import datetime
from collections.abc import Callable, Iterable


@dataclasses.dataclass(frozen=True)
class HiddenReason:
    retailer_id: int
    code: str
    reason: str
    since: datetime.datetime  # filing or being called after this clears the flag
    weight: int = 1  # how strongly it asks for a call (orders the list)


Source = Callable[..., Iterable[HiddenReason]]


@dataclasses.dataclass(frozen=True)
class ReasonSource:
    code: str
    label: str
    source: Source
