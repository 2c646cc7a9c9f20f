"""Reads about the retailer's own pages that staff may see (never the links themselves)."""

from accounts.models import Retailer
from feedback.portal.models import PortalLinkSend


def portal_link_last_send(*, retailer: Retailer) -> PortalLinkSend | None:
    """The latest time the shop's own-page link was texted to it, by whom, to which (masked) number."""
    return PortalLinkSend.objects.filter(retailer=retailer).select_related("sent_by").first()
