"""How many failed logins django-axes allows before it locks (settings.AXES_FAILURE_LIMIT names this function).

Two limits, counted over the same cool-off window:
- per user name from one address (LOGIN_FAILURES_PER_USER, 5): a guessed password for one account;
- per address, whatever the user names (LOGIN_FAILURES_PER_ADDRESS, 30): password spraying, one or two common
  passwords tried against many accounts, which the first limit never sees. It is higher because an office
  behind one NAT address shares it.

axes counts both (AXES_LOCKOUT_PARAMETERS lists the pair and the address) and compares the larger count, which
is always the address's, with one limit. So the limit given back is the address limit, unless the pair has
already reached its own: then any count locks.

A successful login forgets that user's failures from that address, and only those (PairResetHandler): axes's
own reset also deletes the address's count, so a sprayer holding one valid account could log in after every 29
guesses and spray on for ever.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_ip_address, get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def failure_limit(request, credentials) -> int:
    per_user = settings.LOGIN_FAILURES_PER_USER
    username = get_client_username(request, credentials)
    ip_address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    pair_failures = (
        AccessAttempt.objects.filter(username=username, ip_address=ip_address).aggregate(
            total=Sum("failures_since_start")
        )["total"]
        or 0
    )
    if pair_failures >= per_user:
        return 1
    return settings.LOGIN_FAILURES_PER_ADDRESS


class PairResetHandler(AxesDatabaseHandler):
    """settings.AXES_HANDLER: axes's database handler, except that a success resets the (user name, address)
    pair's failures, not the address's count of failures against other user names."""

    def reset_user_attempts(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        ip_address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
        count, _ = AccessAttempt.objects.filter(username=username, ip_address=ip_address).delete()
        return count
