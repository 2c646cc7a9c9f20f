"""The campaign that sends while the load test runs (issue 18: "while a 100,000-recipient campaign sends").

A marketing SMS to every retailer of the company who agreed to SMS (at province scale that is the register's
consenting majority), made and launched the way a supervisor does it, through the
services: a saved segment (SMS consent = yes, over the top unit), a template, a campaign created by one login,
approved by a second (the two-person rule) and scheduled "now" — which enqueues the start task that snapshots the
audience into deliveries and starts the send tasks, in a real Celery worker: the `sends` worker of the Procfile
(threads pool, concurrency 4) on the production settings, with Redis as broker and the global rate limit
(SEND_RATE_LIMIT, default 200/s), sending through the local fake HTTP gateway (campaigns.fake_gateway, a thread of
this process, counting what it receives per wall-clock second). Quiet hours are off (the load may run at night
in China); the frequency cap stays on.

The campaign's own logins (`loadtest-author`, `loadtest-approver`: company admins with random passwords, made if
missing) and its segment and template are reused by later runs. At the end the campaign is cancelled and its
deliveries deleted, so that the next run's sends are not held back by the frequency cap of this one.
"""

import contextlib
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from bench.workers import celery_worker_start

ROOT = Path(__file__).resolve().parent.parent.parent
NAME = "压测：同意短信的全部零售户"
WORKER_CONCURRENCY = 4  # as the Procfile's `sends` worker
BODY = "{{ owner_name }}您好，本周新品到货，欢迎订购。"


def _people():
    from users.models import OrgUnit, User
    from users.services import user_create

    company = OrgUnit.objects.filter(parent__isnull=True).exclude(name="压测公司").order_by("pk").first()
    people = []
    for username in ("loadtest-author", "loadtest-approver"):
        user = User.objects.filter(username=username).first() or user_create(
            username=username, password=secrets.token_hex(16), role=User.Role.ADMIN, org_unit=company
        )
        people.append(user)
    return company, people


def campaign_launch():
    """Create, approve and schedule the campaign (the worker starts it). Returns (campaign id, audience size)."""
    from django.db import transaction

    from campaigns.models import Campaign, MessageTemplate, Purpose
    from campaigns.services.campaigns import campaign_approve, campaign_create, campaign_schedule
    from campaigns.services.templates import template_create
    from segmentation.segments.models import Segment
    from segmentation.segments.selectors import segment_members
    from segmentation.segments.services import segment_create

    company, (author, approver) = _people()
    segment = Segment.objects.filter(name=NAME, org_unit=company).first() or segment_create(
        user=author,
        name=NAME,
        org_unit=company,
        definition={"op": "and", "rules": [{"field": "sms_consent", "operator": "is", "value": True}]},
    )
    audience = segment_members(segment=segment).count()
    template = MessageTemplate.objects.filter(name=NAME, org_unit=company).first() or template_create(
        actor=author,
        data={
            "name": NAME,
            "channel": "sms",
            "org_unit": company,
            "body": f"{settings.CAMPAIGNS_SMS_SIGNATURE}{BODY}{settings.CAMPAIGNS_SMS_OPT_OUT_TEXT}",
        },
    )
    campaign = campaign_create(
        actor=author,
        data={
            "name": f"{NAME} {time.strftime('%H:%M:%S')}",
            "org_unit": company,
            "segment": segment,
            "channel": "sms",
            "purpose": Purpose.MARKETING,
            "template": template,
            "schedule_kind": Campaign.ScheduleKind.NOW,
            "holdout_pct": 0,
            "quiet_start": None,
            "quiet_end": None,
        },
    )
    campaign_approve(actor=approver, campaign=campaign)
    with transaction.atomic():
        campaign_schedule(actor=author, campaign=campaign)  # the start task is queued when this commits
    return campaign.pk, audience


def campaign_launch_in(*, env: dict) -> tuple[int, int]:
    """campaign_launch in a process of the load's own settings, so that the start task goes to the load's broker."""
    answer = subprocess.run(
        [sys.executable, "-m", "bench.load.campaign"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    campaign_id, audience = answer.stdout.split()[-2:]
    return int(campaign_id), int(audience)


def campaign_end(campaign_id: int) -> dict:
    """Cancel the campaign, count its deliveries by state, delete them (see the module docstring)."""
    from django.db.models import Count

    from campaigns.models import Campaign, Delivery
    from campaigns.services.campaigns import campaign_cancel
    from core.errors import ConflictError

    campaign = Campaign.objects.get(pk=campaign_id)
    with contextlib.suppress(ConflictError):  # it had finished
        campaign_cancel(actor=None, campaign=campaign)
    states = dict(
        Delivery.objects.filter(campaign_id=campaign_id)
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    Delivery.objects.filter(campaign_id=campaign_id).delete()
    return states


def worker_start(*, env: dict, gateway, log_dir: Path) -> subprocess.Popen:
    """The `sends` worker of the Procfile, pointed at the fake gateway."""
    return celery_worker_start(
        env={
            **env,
            "SMS_BACKEND": "http",
            "SMS_GATEWAY_URL": gateway.url,
            "SMS_GATEWAY_SECRET": gateway.secret,
        },
        output=(log_dir / "worker.log").open("w"),
        queue="sends",
        hostname="load-sends@%h",
        threads=WORKER_CONCURRENCY,
    )


def send_figures(*, per_second: dict[int, int], start: float, end: float, limit: int) -> dict:
    """Messages the gateway received in [start, end) (epoch seconds), and the rate over the whole seconds while the
    campaign was sending (from the second after its first message, as the snapshot comes first, to the second
    before its last, or the end of the load), with the busiest second against the limit."""
    seconds = sorted(s for s in per_second if int(start) <= s < end)
    if not seconds:
        return {
            "sent": 0,
            "per_second": None,
            "busiest_second": 0,
            "limit": limit,
            "first_send_after_s": None,
        }
    last = (
        seconds[-1] if seconds[-1] < int(end) - 1 else int(end)
    )  # the campaign finished, or was still sending
    whole = [per_second.get(s, 0) for s in range(seconds[0] + 1, last)]
    busiest = max(per_second[s] for s in seconds)
    rate = round(sum(whole) / len(whole), 1) if whole else None
    return {
        "sent": sum(per_second[s] for s in seconds),
        "per_second": rate,
        "share_of_limit": round(rate / limit, 3) if rate is not None else None,
        "busiest_second": busiest,
        "limit": limit,
        "busiest_within_limit": busiest <= limit,
        "first_send_after_s": round(seconds[0] - start, 1),
        "seconds_measured": len(whole),
        "finished_during_load": last < int(end),
    }


def gateway_start():
    from campaigns.fake_gateway import FakeGateway

    return FakeGateway(secret=os.urandom(16).hex()).start()


if __name__ == "__main__":
    import django

    django.setup()
    print(*campaign_launch())
