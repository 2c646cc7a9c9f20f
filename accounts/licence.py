"""The one way a licence's state is told (portrait, retailer list, workspace, home): a licence that is not valid
(suspended, revoked, closed) or past its expiry date stops supply, whatever the other of the two says; otherwise
the days left decide the tone. Never "已过期 840 天" beside a green "有效"."""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import npgettext

URGENT_DAYS = 30
SOON_DAYS = 90


@dataclass(frozen=True)
class LicenceState:
    code: str  # "stopped" (not valid), "expired", "urgent" (≤ 30 days), "soon" (≤ 90 days), "valid"
    tone: str  # a Bootstrap colour: danger, warning, success
    label: str  # the words, e.g. "已过期 840 天 · 停止供货"
    days: int | None  # days left (negative: days since expiry)

    @property
    def supply_stopped(self) -> bool:
        return self.code in ("stopped", "expired")

    @property
    def icon(self) -> str:
        return {
            "stopped": "bi-x-octagon-fill",
            "expired": "bi-exclamation-octagon-fill",
            "urgent": "bi-hourglass-split",
            "soon": "bi-hourglass-split",
        }.get(self.code, "bi-check-circle-fill")


def licence_state(
    *, status: str, status_label: str, expires_on: datetime.date | None, today: datetime.date | None = None
) -> LicenceState:
    """`status` is Retailer.licence_status, `status_label` its display, `expires_on` the expiry date."""
    today = today or timezone.localdate()
    days = (expires_on - today).days if expires_on else None
    stopped = _("停止供货")
    if status != "valid":
        return LicenceState("stopped", "danger", f"{status_label} · {stopped}", days)
    if days is None:
        return LicenceState("valid", "success", _("有效"), None)
    if days < 0:
        label = npgettext("licence state", "已过期 %(n)s 天", "已过期 %(n)s 天", -days) % {"n": -days}
        return LicenceState("expired", "danger", f"{label} · {stopped}", days)
    if days == 0:
        return LicenceState("urgent", "danger", _("今天到期"), days)
    if days <= URGENT_DAYS:
        return LicenceState(
            "urgent",
            "danger",
            npgettext("licence state", "剩 %(n)s 天", "剩 %(n)s 天", days) % {"n": days},
            days,
        )
    if days <= SOON_DAYS:
        return LicenceState(
            "soon",
            "warning",
            npgettext("licence state", "剩 %(n)s 天", "剩 %(n)s 天", days) % {"n": days},
            days,
        )
    return LicenceState("valid", "success", _("有效"), days)


def retailer_licence_state(retailer, *, today: datetime.date | None = None) -> LicenceState:
    return licence_state(
        status=retailer.licence_status,
        status_label=retailer.get_licence_status_display(),
        expires_on=retailer.licence_expires_on,
        today=today,
    )
