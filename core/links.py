"""The one signed-link scheme for every link a retailer opens without a login (its hub, a survey invitation, a
complaint's rating, its points page, an unsubscribe or a tracked click in a message).

A link has a *purpose*, registered once by the app that owns its pages (`link_purpose_register`, from that app's
`AppConfig.ready`), with its own salt and its maximum age. A token made for one purpose does not verify for any
other: the salt is part of the signature (HMAC with SECRET_KEY, django.core.signing).

Two forms, one scheme:
- a *token* `signing.dumps({"r": retailer_id, "p": purpose, "x": ref, "i": issuer})`, compressed, carrying its
  issue time; `max_age` (a timedelta, or a callable returning one when the age is a setting in the database) is
  checked when it is read. `ref` ties it to one object (a survey invitation, a complaint): the view must check that
  the object belongs to `link.retailer_id` and answer 404 otherwise. `issuer` is the staff member at whose request
  the link was sent, when one was (see feedback's "send the link to the shop").
- a *short code* `<base62 id>-<10 characters of HMAC>` for the links inside a campaign SMS (every character is
  paid for): it names one object id (a delivery) and carries no time; it is for purposes whose link must keep
  working as long as the message exists (MIIT: an unsubscribe link may not expire).

Links already sent keep working when a purpose moves here: `legacy_salts` lists the salts an older form was
signed with (a token whose value is the bare retailer id, or a short code under the old salt).

Every view behind such a link calls `link_rate_limited` first (fixed windows per link and per client address, in
the cache: Redis in production, the file cache under `make run`) and marks itself with `@link_view(purpose…)`, so
that the URL resolver can be checked for a public route that skips it (tests/crm/test_public_links.py).
"""

import dataclasses
import datetime
import functools
import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from core.registry import Registry

SALT_PREFIX = "crm.retailer-link."

# requests per window: one link, one client address (generous: mobile carriers put many phones behind one address)
TOKEN_LIMIT = 30
ADDRESS_LIMIT = 600
WINDOW_SECONDS = 60

SHORT_SIGNATURE_CHARS = 10  # 60 bits: far beyond what anyone can guess through a web server
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

MaxAge = datetime.timedelta | Callable[[], datetime.timedelta] | None


@dataclasses.dataclass(frozen=True)
class LinkPurpose:
    name: str
    max_age: MaxAge
    salt: str
    legacy_salts: tuple[str, ...] = ()
    short: bool = False

    def age(self) -> datetime.timedelta | None:
        value = self.max_age() if callable(self.max_age) else self.max_age
        if value is not None and value <= datetime.timedelta(0):
            raise ValueError(f"the maximum age of {self.name!r} links must be positive")
        return value


LINK_PURPOSES: Registry[str, LinkPurpose] = Registry(
    "link-purposes",
    owner="core",
    doc="purpose -> how long a retailer's signed link for it lives and its salt; each app declares the purposes "
    "of the links it sends from its AppConfig.ready()",
)


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
    issuer_id: int | None = None


def link_purpose_register(
    *,
    purpose: str,
    max_age: MaxAge,
    salt: str | None = None,
    legacy_salts: tuple[str, ...] = (),
    short: bool = False,
    by: str,
) -> LinkPurpose:
    """Declare a purpose (`by`: the declaring app). `max_age` None only for short codes (they carry no time)."""
    if max_age is None and not short:
        raise ValueError("a token purpose needs a maximum age")
    if isinstance(max_age, datetime.timedelta) and max_age <= datetime.timedelta(0):
        raise ValueError("a link's maximum age must be positive")
    registered = LinkPurpose(
        name=purpose,
        max_age=max_age,
        salt=salt or SALT_PREFIX + purpose,
        legacy_salts=tuple(legacy_salts),
        short=short,
    )
    return LINK_PURPOSES.register(purpose, registered, by=by)


def link_purposes() -> list[LinkPurpose]:
    return [value for _key, value in LINK_PURPOSES.items()]


def link_purpose(purpose: str) -> LinkPurpose:
    try:
        return LINK_PURPOSES[purpose]
    except KeyError:
        raise ValueError(f"unknown retailer-link purpose {purpose!r}; register it first") from None


def link_purpose_max_age(*, purpose: str) -> datetime.timedelta | None:
    return link_purpose(purpose).age()


# ---- tokens -------------------------------------------------------------------------------------------------------
def retailer_link_make(
    *, retailer_id: int, purpose: str, ref: int | str | None = None, issuer_id: int | None = None
) -> str:
    registered = link_purpose(purpose)
    if registered.short:
        raise ValueError(f"{purpose!r} links are short codes: use short_code_make")
    value = {"r": int(retailer_id), "p": purpose, "x": ref}
    if issuer_id is not None:
        value["i"] = int(issuer_id)
    return signing.dumps(value, salt=registered.salt, compress=True)


def _legacy_value(token: str, registered: LinkPurpose, max_age):
    for salt in registered.legacy_salts:
        try:
            value = signing.loads(token, salt=salt, max_age=max_age)
        except signing.SignatureExpired:
            raise LinkRefusedError("expired") from None
        except signing.BadSignature:
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            return {"r": value, "p": registered.name, "x": None}
        raise LinkRefusedError("tampered")
    raise LinkRefusedError("tampered")


def retailer_link_read(*, token: str, purpose: str) -> RetailerLink:
    """The link a token names, or LinkRefusedError saying why not."""
    registered = link_purpose(purpose)
    max_age = registered.age()
    try:
        value = signing.loads(token, salt=registered.salt, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkRefusedError("expired") from None
    except signing.BadSignature:
        value = _legacy_value(token, registered, max_age)
    if not isinstance(value, dict) or not isinstance(value.get("r"), int):
        raise LinkRefusedError("tampered")
    if value.get("p") != purpose:
        raise LinkRefusedError("wrong_purpose")
    ref = value.get("x")
    if ref is not None and not isinstance(ref, int | str):
        raise LinkRefusedError("tampered")
    issuer = value.get("i")
    if issuer is not None and not isinstance(issuer, int):
        raise LinkRefusedError("tampered")
    return RetailerLink(retailer_id=value["r"], purpose=purpose, ref=ref, issuer_id=issuer)


# ---- short codes --------------------------------------------------------------------------------------------------
def _b62(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 62)
        digits = B62[rest] + digits
        if not number:
            return digits


def _unb62(text: str) -> int:
    number = 0
    for char in text:
        number = number * 62 + B62.index(char)
    return number


def _short_signature(salt: str, value: str) -> str:
    return signing.base64_hmac(salt, value, settings.SECRET_KEY, algorithm="sha256")[:SHORT_SIGNATURE_CHARS]


def short_code_make(*, purpose: str, number: int) -> str:
    registered = link_purpose(purpose)
    if not registered.short:
        raise ValueError(f"{purpose!r} links are tokens: use retailer_link_make")
    value = _b62(int(number))
    return f"{value}-{_short_signature(registered.salt, value)}"


def short_code_read(*, purpose: str, code: str) -> int | None:
    """The id a short code stands for, or None if the code was not made by us for this purpose."""
    registered = link_purpose(purpose)
    value, _sep, signature = (code or "").partition("-")
    if not value or not signature or any(c not in B62 for c in value) or len(value) > 12:
        return None
    for salt in (registered.salt, *registered.legacy_salts):
        if constant_time_compare(signature, _short_signature(salt, value)):
            return _unb62(value)
    return None


# ---- the rate limit -----------------------------------------------------------------------------------------------
def current_window() -> int:
    """The number of the fixed window (of WINDOW_SECONDS) the present moment falls in."""
    return int(timezone.now().timestamp()) // WINDOW_SECONDS


def _hit(key: str, limit: int) -> bool:
    """Counts one request in the current window; True when this one is over the limit."""
    key = f"{key}:{current_window()}"
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
    """True when this link or this client address has made too many requests in the last minute."""
    digest = hashlib.sha256(token.encode()).hexdigest()[:32]
    address = client_address(request)
    over_token = _hit(f"rl:link:t:{digest}", TOKEN_LIMIT)
    over_address = _hit(f"rl:link:a:{address}", ADDRESS_LIMIT)
    return over_token or over_address


def link_view(*purposes: str):
    """Marks a view that a retailer opens without a login through a link of one of `purposes`; the view itself
    calls `link_rate_limited` and reads the link for that purpose. The mark is what the URL test looks for."""

    def mark(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            return view(*args, **kwargs)

        wrapped.link_purposes = tuple(purposes)
        return wrapped

    return mark
