"""Writes a retailer makes from its own hub (no login)."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import ConsentEvent, Retailer
from accounts.services import retailer_consent_set

UNSUBSCRIBE_SOURCE = "retailer link"


@transaction.atomic
def retailer_unsubscribe(*, retailer: Retailer) -> list[str]:
    """Withdraw consent on every channel the retailer had granted, at once (MIIT: an opt-out takes effect
    immediately), through the accounts consent service so the withdrawal is on record with its source.
    Returns the channels withdrawn; none if it had already opted out everywhere."""
    locked = Retailer.objects.select_for_update().get(pk=retailer.pk)
    withdrawn = []
    for channel in ConsentEvent.Channel.values:
        if getattr(locked, f"{channel}_consent"):
            retailer_consent_set(
                actor=None, retailer=locked, channel=channel, granted=False, source=UNSUBSCRIBE_SOURCE
            )
            withdrawn.append(channel)
    return withdrawn


def channel_names(channels: list[str]) -> str:
    labels = dict(ConsentEvent.Channel.choices)
    return _("、").join(str(labels[c]) for c in channels)
