"""The retailer's own links (no login): signed tokens that name one retailer and one purpose.

A token is `signing.dumps({"r": retailer_id, "p": purpose, "x": ref})` under a salt per purpose, so a token made
for one purpose does not even verify under another. It carries its issue time; each purpose has its maximum age.
`ref` ties a token to one object (a survey invitation, a complaint) — the view that takes it must check that the
object belongs to `link.retailer_id` and answer 404 otherwise. Single use (one answer per invitation) is the
object's own business (a conditional UPDATE on it), not the token's.

Every view behind such a link also calls `link_rate_limited` before doing anything: a fixed window per token and
per client address, in the cache (Redis in production, the file cache under `make run`).

Purposes register themselves with their maximum age (`link_purpose_register`) from their app's `apps.ready`.
"""

import dataclasses
import datetime
import hashlib

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils import timezone

SALT_PREFIX = "crm.retailer-link."
_PURPOSES: dict[str, datetime.timedelta] = {}

# requests per window: one token, one client address (generous: mobile carriers put many phones behind one address)
TOKEN_LIMIT = 30
ADDRESS_LIMIT = 600
WINDOW_SECONDS = 60


class LinkRefusedError(Exception):
    """A token that is forged, altered, too old or made for something else. `reason` is one of REASONS."""

    REASONS = ("tampered", "expired", "wrong_purpose")

    def __init__(self, reason: str):
        if reason not in self.REASONS:
            raise ValueError(reason)
        super().__init__(reason)
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class RetailerLink:
    retailer_id: int
    purpose: str
    ref: int | str | None


def link_purpose_register(*, purpose: str, max_age: datetime.timedelta) -> None:
    if max_age <= datetime.timedelta(0):
        raise ValueError("a link's maximum age must be positive")
    _PURPOSES[purpose] = max_age


def link_purpose_max_age(*, purpose: str) -> datetime.timedelta:
    try:
        return _PURPOSES[purpose]
    except KeyError:
        raise ValueError(f"unknown retailer-link purpose {purpose!r}; register it first") from None


def retailer_link_make(*, retailer_id: int, purpose: str, ref: int | str | None = None) -> str:
    link_purpose_max_age(purpose=purpose)  # refuses an unregistered purpose
    return signing.dumps(
        {"r": int(retailer_id), "p": purpose, "x": ref}, salt=SALT_PREFIX + purpose, compress=True
    )


def retailer_link_read(*, token: str, purpose: str) -> RetailerLink:
    """The link a token names, or LinkRefusedError saying why not."""
    max_age = link_purpose_max_age(purpose=purpose)
    try:
        value = signing.loads(token, salt=SALT_PREFIX + purpose, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkRefusedError("expired") from None
    except signing.BadSignature:
        raise LinkRefusedError("tampered") from None
    if not isinstance(value, dict) or not isinstance(value.get("r"), int):
        raise LinkRefusedError("tampered")
    if value.get("p") != purpose:
        raise LinkRefusedError("wrong_purpose")
    ref = value.get("x")
    if ref is not None and not isinstance(ref, int | str):
        raise LinkRefusedError("tampered")
    return RetailerLink(retailer_id=value["r"], purpose=purpose, ref=ref)


def _hit(key: str, limit: int) -> bool:
    """Counts one request in the current window; True when this one is over the limit."""
    window = int(timezone.now().timestamp()) // WINDOW_SECONDS
    key = f"{key}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the window's first request
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        count = 1
    return count > limit


def client_address(request) -> str:
    """The client's address: settings.CLIENT_IP_HEADER behind a proxy (the last X-Forwarded-For entry is the one
    our proxy added), else REMOTE_ADDR."""
    header = getattr(settings, "CLIENT_IP_HEADER", "REMOTE_ADDR")
    value = request.META.get(header, "") or request.META.get("REMOTE_ADDR", "")
    return value.split(",")[-1].strip() or "-"


def link_rate_limited(*, request, token: str) -> bool:
    """True when this token or this client address has made too many requests in the last minute."""
    digest = hashlib.sha256(token.encode()).hexdigest()[:32]
    address = client_address(request)
    over_token = _hit(f"rl:link:t:{digest}", TOKEN_LIMIT)
    over_address = _hit(f"rl:link:a:{address}", ADDRESS_LIMIT)
    return over_token or over_address
