"""The retailer's own link: a signed token (no login) naming the retailer, valid for the programme's days."""

import datetime

from django.core import signing

SALT = "loyalty.retailer-link"


def retailer_link_token(*, retailer_id: int) -> str:
    return signing.dumps(retailer_id, salt=SALT)


def retailer_link_read(*, token: str, max_age: datetime.timedelta) -> int:
    """The retailer id the token names; signing.BadSignature (or its SignatureExpired) if forged or too old."""
    value = signing.loads(token, salt=SALT, max_age=max_age)
    if not isinstance(value, int):
        raise signing.BadSignature("not a retailer link")
    return value
