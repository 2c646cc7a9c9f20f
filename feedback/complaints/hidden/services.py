"""The call made to a retailer flagged as a hidden complaint."""

from django.db import transaction
from django.utils import timezone

from feedback.complaints.hidden.models import HiddenComplaintCall
from users.models import User


@transaction.atomic
def hidden_complaint_call_record(*, retailer, user: User, outcome: str, reason: str, note: str = ""):
    """Records the call made to a flagged retailer ("mark as called"); it drops off the list until a new signal."""
    call = HiddenComplaintCall(
        retailer=retailer,
        called_by=user,
        outcome=outcome,
        reason=(reason or "")[:300],
        note=(note or "").strip(),
        called_at=timezone.now(),
    )
    call.full_clean()
    call.save()
    return call
