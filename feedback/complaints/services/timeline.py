"""The case's timeline: one line per event, written by every service that changes a case."""

from django.utils import timezone

from feedback.complaints.models import ComplaintEvent


def complaint_event_add(
    complaint,
    kind,
    *,
    actor=None,
    at=None,
    from_status="",
    to_status="",
    text="",
    message=None,
    internal=False,
):
    """One timeline line. `text` is a person's words (a note, a reason); what the system says goes in `message`
    (core.messages), worded for each reader."""
    return ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        actor=actor,
        at=at or timezone.now(),
        from_status=from_status,
        to_status=to_status,
        text=text,
        message=message,
        is_internal=internal,
    )
