"""A case's deadlines, counted in working hours (feedback.complaints.workcal) from receipt and from each reopening;
provisional while the holiday calendar lacks a year's official schedule, recomputed nightly once it has it."""

import datetime
import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from core.messages import system_message
from feedback import system_texts as texts
from feedback.complaints.models import Complaint, ComplaintCategory, ComplaintEvent
from feedback.complaints.workcal import uncovered_years, working_day_end, working_time_add

logger = logging.getLogger(__name__)

Event = ComplaintEvent.Kind


def provisional_note(years: Iterable[int]) -> dict:
    return system_message(texts.DEADLINES_PROVISIONAL, years=sorted(set(years)))


def deadlines_compute(category: ComplaintCategory, start: datetime.datetime):
    """(response_due, resolution_due, uncovered years) counted in working hours from `start`. When a deadline
    runs into a year the holiday calendar has no official schedule for yet (late December for the next year),
    it is still computed, on that year's rule-based public holidays without make-up days, and the years are
    returned so the case is flagged provisional; `complaints_deadlines_recompute` replaces it once the library
    covers the year. A case is never left without deadlines: it would never escalate."""
    response_due = working_time_add(start=start, hours=category.response_hours)
    if category.same_day_dispatch:
        response_due = min(response_due, working_day_end(moment=start))
    resolution_due = working_time_add(start=start, hours=category.resolution_hours)
    years = uncovered_years(start=start, end=max(response_due, resolution_due))
    if years:
        logger.info("complaint deadlines provisional: holiday calendar does not cover %s", years)
    return response_due, resolution_due, years


RECOMPUTE_BATCH = 500


def complaints_deadlines_recompute(
    *, complaint_ids: Iterable[int] | None = None, batch_size: int = RECOMPUTE_BATCH
) -> int:
    """Daily (beat) and from the admin: recomputes provisional deadlines once the holiday calendar covers every
    year they run through (after `holidays` is upgraded with the State Council's notice), and fills deadlines
    left empty by older versions of this code (provisional if need be). The response deadline counts from
    receipt, the resolution deadline from the last reopening. A provisional deadline whose year is still not
    covered is left as it is, so the daily run changes nothing until the library is upgraded (idempotent).
    In batches by id, each one transaction with its rows locked (SKIP LOCKED: a case being worked on right now
    is picked up by the next run), one bulk UPDATE and one INSERT of timeline notes per batch.
    An escalation already sent on a provisional deadline stays sent. Returns how many cases changed."""
    pending = Q(deadlines_provisional=True) | Q(
        resolution_due__isnull=True, status__in=Complaint.OPEN_STATUSES
    )
    qs = Complaint.objects.filter(pending)
    if complaint_ids is not None:
        qs = qs.filter(pk__in=list(complaint_ids))
    last_reopened = (
        ComplaintEvent.objects.filter(complaint=OuterRef("pk"), kind=Event.REOPENED)
        .order_by("-at")
        .values("at")[:1]
    )
    done = 0
    after = 0
    while True:
        with transaction.atomic():
            batch = list(
                qs.filter(pk__gt=after)
                .select_related("category")
                .select_for_update(skip_locked=True, of=("self",))
                .annotate(last_reopened=Subquery(last_reopened))
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return done
            after = batch[-1].pk
            changed = []
            for complaint in batch:
                response_due, resolution_due, uncovered = deadlines_compute(
                    complaint.category, complaint.opened_at
                )
                if complaint.last_reopened:
                    _r, resolution_due, again = deadlines_compute(complaint.category, complaint.last_reopened)
                    uncovered = [*uncovered, *again]
                if uncovered and complaint.deadlines_provisional:
                    continue  # still not covered: nothing new to say
                complaint.response_due = response_due
                complaint.resolution_due = resolution_due
                complaint.deadlines_provisional = bool(uncovered)
                complaint.deadline_note = ""
                complaint.deadline_message = provisional_note(uncovered) if uncovered else None
                complaint.version += 1
                changed.append(complaint)
            if changed:
                Complaint.objects.bulk_update(
                    changed,
                    [
                        "response_due",
                        "resolution_due",
                        "deadlines_provisional",
                        "deadline_note",
                        "deadline_message",
                        "version",
                    ],
                )
                now = timezone.now()
                ComplaintEvent.objects.bulk_create(
                    [
                        ComplaintEvent(
                            complaint=complaint,
                            kind=Event.NOTE,
                            at=now,
                            message=(
                                complaint.deadline_message
                                if complaint.deadlines_provisional
                                else system_message(
                                    texts.DEADLINES_RECOMPUTED,
                                    due=timezone.localtime(complaint.resolution_due).strftime(
                                        "%Y-%m-%d %H:%M"
                                    ),
                                )
                            ),
                            is_internal=True,
                        )
                        for complaint in changed
                    ]
                )
                done += len(changed)
