"""The retailer's points page link (/loyalty/m/<token>/, no login): a core.links token of purpose POINTS, valid for
the programme's `link_max_age_days`. Links sent before the one scheme (a bare retailer id signed under the old
salt) still open: LEGACY_SALT is accepted on reading."""

import datetime

from core.links import link_purpose_register, retailer_link_make, retailer_link_read

POINTS = "points"
LEGACY_SALT = "loyalty.retailer-link"


def _max_age() -> datetime.timedelta:
    from loyalty.ledger.services import programme_get

    return datetime.timedelta(days=programme_get().link_max_age_days)


def link_purposes_register() -> None:
    """The points page's link purpose (called from LoyaltyConfig.ready())."""
    link_purpose_register(purpose=POINTS, max_age=_max_age, legacy_salts=(LEGACY_SALT,), by="loyalty")


def retailer_link_token(*, retailer_id: int, issuer_id: int | None = None) -> str:
    return retailer_link_make(retailer_id=retailer_id, purpose=POINTS, issuer_id=issuer_id)


def points_link_read(*, token: str):
    """The core.links.RetailerLink a points token names; core.links.LinkRefusedError if forged, old or another's."""
    return retailer_link_read(token=token, purpose=POINTS)
