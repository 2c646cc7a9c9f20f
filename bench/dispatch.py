"""`bench dispatch`: SMS messages per second through two Celery worker processes to the fake HTTP gateway (no
latency), against no-op Celery tasks per second measured in the same run on the same workers — DESIGN.md asks
for ≥ 5× — and the highest count the gateway received in any one wall-clock second against the configured global
rate limit (CAMPAIGNS_RATE_LIMIT_PER_SECOND, env SEND_RATE_LIMIT), which it must never exceed.

Recipients: the benchmark makes its own synthetic ones, so it needs no seeded database and never touches real
retailers: N retailers (N = the scale) who agreed to SMS, with valid licences, in an org unit of their own
("压测" under a company "压测公司", region code 419901), written once with one INSERT … SELECT and reused by later
runs. The campaign, its template and its deliveries are deleted at the end of the run.

Steps: start the fake gateway (a thread here) and two `celery worker` processes pointed at it and at this
database; (1) baseline: K no-op tasks queued before the workers start, timed from the first completion to the
last (Celery stores each result's completion time), so the workers set the pace, not this producer; (2) snapshot the recipients into
deliveries exactly as a launch does, start the send tasks, and wait until the campaign is done; read the
gateway's counters (unique keys must equal N, nobody twice) and its per-second histogram.
"""

import os
import subprocess
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from bench.runner import SCALES, BenchError, database_url, environment, peak_rss_mb
from bench.workers import broker_folders_prepare, celery_processes_stop, celery_worker_start

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
WORKER_CONCURRENCY = 4  # threads per worker process: a send task waits on the database and the gateway
NOOP_TASKS = {"tiny": 300, "small": 3_000, "province": 10_000}
RATIO_MIN = 5.0
PEAK_MAX_OVER_LIMIT = 1.0  # a carrier rejects or bans above its contracted rate
REGION = "419901"
UNIT_NAME = "压测"
COMPANY_NAME = "压测公司"
DONE_TIMEOUT_SECONDS = 3600


def _units():
    from users.models import OrgUnit
    from users.services import org_unit_create

    company = OrgUnit.objects.filter(name=COMPANY_NAME, kind=OrgUnit.Kind.COMPANY).first()
    if company is None:
        company = org_unit_create(name=COMPANY_NAME, kind=OrgUnit.Kind.COMPANY, parent=None, region_code="")
    unit = OrgUnit.objects.filter(name=UNIT_NAME, parent=company).first()
    if unit is None:
        unit = org_unit_create(name=UNIT_NAME, kind=OrgUnit.Kind.COUNTY, parent=company, region_code=REGION)
    return company, unit


_RECIPIENTS_SQL = """
INSERT INTO accounts_retailer (
  customer_code, licence_no, licence_issued_on, licence_expires_on, licence_status, shop_name, owner_name,
  owner_id_number, mobile, email, address, market_type, business_format, scale, credit_grade, is_night_shop,
  delivery_route, order_channel, payment_method, bank_account, status, sms_consent, sms_consent_at,
  sms_consent_source, email_consent, email_consent_source, created_at, updated_at, org_unit_id)
SELECT 'BENCH' || lpad(n::text, 7, '0'), %s || '1' || lpad(n::text, 5, '0'),
  current_date - 400, current_date + 1000, 'valid', '压测便利店' || n, '压测' || n,
  '', '199' || lpad(n::text, 8, '0'), '', '压测地址' || n, 'C', 'B', '2', 'A', false,
  '', 'online', 'bank', '', 'active', true, now(), '压测', false, '', now(), now(), %s
FROM generate_series(%s::int, %s::int) AS n
ON CONFLICT DO NOTHING"""


def ensure_recipients(count: int) -> tuple[object, float]:
    """The bench unit with at least `count` synthetic consenting retailers; returns (unit, seconds spent)."""
    import pgtrigger

    from accounts.history import RETAILER_TRIGGERS
    from accounts.models import Retailer

    if count > 100_000:
        raise BenchError("at most 100,000 synthetic recipients (one licence region, five serial digits)")
    _company, unit = _units()
    have = Retailer.objects.filter(org_unit=unit).count()
    if have >= count:
        return unit, 0.0
    started = time.perf_counter()
    # synthetic rows, not a change anyone made: no history events (the import's bulk writers do the same)
    with transaction.atomic(), pgtrigger.ignore(*RETAILER_TRIGGERS), connection.cursor() as cursor:
        cursor.execute(_RECIPIENTS_SQL, [REGION, unit.pk, 0, count - 1])
        cursor.execute("ANALYZE accounts_retailer")
    return unit, time.perf_counter() - started


def _start_workers(gateway, log_dir: Path) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "crm.settings.dev"),
        "DATABASE_URL": database_url(),
        "SMS_BACKEND": "http",
        "SMS_GATEWAY_URL": gateway.url,
        "SMS_GATEWAY_SECRET": gateway.secret,
        "SEND_RATE_LIMIT": str(settings.CAMPAIGNS_RATE_LIMIT_PER_SECOND),
        "SEND_BATCH_SIZE": str(settings.CAMPAIGNS_BATCH_SIZE),
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    return [
        celery_worker_start(
            env=env,
            output=(log_dir / f"worker{n}.log").open("w"),
            hostname=f"bench{n}@%h",
            threads=WORKER_CONCURRENCY,
        )
        for n in range(WORKERS)
    ]


def publish_noop(count: int) -> tuple[list, float]:
    """Queue K no-op tasks before any worker runs (so the workers, not this producer, set the pace)."""
    from campaigns.tasks import noop_task

    started = time.perf_counter()
    results = [noop_task.delay() for _ in range(count)]
    return results, time.perf_counter() - started


def measure_noop(results: list, *, publish_seconds: float, log_dir: Path) -> dict:
    """Wait for every no-op result, then rate = tasks / (last completion − first completion), from the
    completion times Celery itself stores with each result."""
    from celery.exceptions import TimeoutError as CeleryTimeout
    from celery.result import ResultSet

    try:
        ResultSet(results).join(timeout=DONE_TIMEOUT_SECONDS / 6, interval=0.05, propagate=True)
    except CeleryTimeout as exc:
        logs = "\n".join(p.read_text()[-1500:] for p in sorted(log_dir.glob("worker*.log")))
        raise BenchError(f"the workers did not run the no-op tasks in time:\n{logs}") from exc
    done = sorted(result.date_done for result in results)
    span = (done[-1] - done[0]).total_seconds()
    count = len(results)
    return {
        "tasks": count,
        "seconds": round(span, 3),
        "publish_seconds": round(publish_seconds, 3),
        "per_second": round((count - 1) / span, 1),
    }


def measure_messages(*, unit, count: int, gateway) -> dict:
    from accounts.models import Retailer
    from campaigns.models import Campaign, Delivery, MessageTemplate, Purpose
    from campaigns.services.sending import send_tasks_enqueue
    from campaigns.services.snapshot import deliveries_snapshot
    from campaigns.templating import sms_segments
    from users.models import User

    author = User.objects.filter(is_active=True).order_by("pk").first()
    if author is None:
        from users.services import user_create

        author = user_create(
            username="bench", password=os.urandom(16).hex(), role=User.Role.ADMIN, org_unit=unit
        )
    template = MessageTemplate.objects.create(
        name=f"压测模板 {time.time_ns()}",
        channel="sms",
        org_unit=unit,
        body=f"{settings.CAMPAIGNS_SMS_SIGNATURE}{{{{ owner_name }}}}您好，本周新品到货，欢迎订购。"
        f"{settings.CAMPAIGNS_SMS_OPT_OUT_TEXT}",
        created_by=author,
    )
    campaign = Campaign.objects.create(
        name="压测活动",
        org_unit=unit,
        template=template,
        purpose=Purpose.NOTICE,  # the frequency cap would hold back a second run on the same recipients
        holdout_pct=0,
        quiet_start=None,
        quiet_end=None,
        state=Campaign.State.SENDING,
        created_by=author,
    )
    try:
        audience = Retailer.objects.filter(org_unit=unit, customer_code__lt=f"BENCH{count:07d}")
        started = time.perf_counter()
        with transaction.atomic():
            written, _held = deliveries_snapshot(campaign=campaign, audience=audience)
        snapshot_seconds = time.perf_counter() - started
        if written != count:
            raise BenchError(f"the snapshot wrote {written:,} deliveries, expected {count:,}")
        with connection.cursor() as cursor:
            # earlier runs' deleted rows out of the way and planner statistics for this one (not timed)
            cursor.execute("VACUUM ANALYZE campaigns_delivery")
        Campaign.objects.filter(pk=campaign.pk).update(launched_at=campaign.created_at)
        gateway.reset()
        from campaigns.ratelimit import send_bucket

        send_bucket().reset()
        started = time.perf_counter()
        with transaction.atomic():
            send_tasks_enqueue(campaign_id=campaign.pk, count=WORKERS * WORKER_CONCURRENCY)
        deadline = started + DONE_TIMEOUT_SECONDS
        while (
            Campaign.objects.filter(pk=campaign.pk).values_list("state", flat=True).get()
            != Campaign.State.DONE
        ):
            if time.perf_counter() > deadline:
                raise BenchError("the campaign did not finish in time")
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        stats = gateway.stats()
        per_second = gateway.per_second_counts()
        states = dict(
            Delivery.objects.filter(campaign=campaign)
            .values_list("state")
            .annotate(n=models_count())
            .order_by()
        )
        sample = next(iter(gateway.texts.values()), "")
    finally:
        Delivery.objects.filter(campaign=campaign).delete()
        campaign.delete()
        template.delete()
    if stats["unique_keys"] != count or stats["max_per_number"] != 1:
        raise BenchError(
            f"the gateway received {stats['unique_keys']:,} unique messages for {count:,} recipients"
        )
    seconds_sorted = sorted(per_second)
    full = [
        per_second[s] for s in seconds_sorted[1:-1]
    ]  # whole seconds only (the first and last are partial)
    return {
        "messages": count,
        "seconds": round(seconds, 3),
        "per_second": round(count / seconds, 1),
        "steady_per_second": round(sum(full) / len(full), 1) if full else None,
        "snapshot_seconds": round(snapshot_seconds, 3),
        "gateway": stats,
        "per_second_histogram": [per_second[s] for s in seconds_sorted],
        "states": states,
        "sample_text": sample,
        "sample_segments": sms_segments(sample),
    }


def models_count():
    from django.db.models import Count

    return Count("id")


def run(*, scale: str, iterations: int = 1, seed: int = 0, stdout=None) -> dict:
    """`iterations` and `seed` are unused: one pass over N recipients is the measurement."""
    from campaigns.fake_gateway import FakeGateway
    from crm.celery_app import app

    if app.conf.task_always_eager:
        raise BenchError(
            "Celery runs tasks eagerly in this process (CELERY_TASK_ALWAYS_EAGER): no workers to measure"
        )
    count = SCALES[scale]
    limit = settings.CAMPAIGNS_RATE_LIMIT_PER_SECOND
    unit, seed_seconds = ensure_recipients(count)
    broker_folders_prepare()
    app.control.purge()
    gateway = FakeGateway(secret=os.urandom(16).hex()).start()
    log_dir = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    queued, publish_seconds = publish_noop(NOOP_TASKS[scale])
    workers = _start_workers(gateway, log_dir)
    try:
        noop = measure_noop(queued, publish_seconds=publish_seconds, log_dir=log_dir)
        messages = measure_messages(unit=unit, count=count, gateway=gateway)
    finally:
        celery_processes_stop(*workers, timeout=20)
        gateway.stop()
    peak = messages["gateway"]["peak_second"]
    ratio = round(messages["per_second"] / noop["per_second"], 2)
    peak_ratio = round(peak / limit, 3)
    return {
        "name": "dispatch",
        "scale": scale,
        "recipients": count,
        "seed_seconds": round(seed_seconds, 2),
        "workers": {"processes": WORKERS, "pool": "threads", "concurrency": WORKER_CONCURRENCY},
        "broker": "redis" if settings.REDIS_URL else "filesystem",
        "rate_limit": {"per_second": limit, "backend": settings.CAMPAIGNS_RATE_LIMIT_BACKEND},
        "batch_size": settings.CAMPAIGNS_BATCH_SIZE,
        "baseline": {"what": "no-op Celery tasks per second on the same two workers", **noop},
        "measured": messages,
        "ratio": ratio,
        "peak_second": {"messages": peak, "limit": limit, "ratio": peak_ratio},
        "target": {
            "ratio_min": RATIO_MIN,
            "peak_max_over_limit": PEAK_MAX_OVER_LIMIT,
            "ratio_met": ratio >= RATIO_MIN,
            "peak_met": peak <= limit * PEAK_MAX_OVER_LIMIT,
        },
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "environment": environment(),
        "worker_logs": str(log_dir),
    }


def summary_lines(result: dict) -> list[str]:
    base, measured, peak, target = (
        result["baseline"],
        result["measured"],
        result["peak_second"],
        result["target"],
    )
    return [
        f"bench dispatch · scale {result['scale']} · {result['recipients']:,} SMS · {result['workers']['processes']} "
        f"workers × {result['workers']['concurrency']} threads · broker {result['broker']} · limit "
        f"{peak['limit']:,}/s ({result['rate_limit']['backend']})",
        f"  no-op tasks      {base['per_second']:10,.1f} /s   ({base['tasks']:,} in {base['seconds']:.2f} s)",
        f"  messages         {measured['per_second']:10,.1f} /s   ({measured['messages']:,} in {measured['seconds']:.2f} s; "
        f"snapshot {measured['snapshot_seconds']:.2f} s)",
        f"  ratio {result['ratio']} (target >= {target['ratio_min']}: {'met' if target['ratio_met'] else 'NOT met'})",
        f"  peak second {peak['messages']:,} vs limit {peak['limit']:,} = {peak['ratio']} "
        f"(<= {target['peak_max_over_limit']}: {'met' if target['peak_met'] else 'NOT met'}) · "
        f"gateway: {measured['gateway']['unique_keys']:,} unique, {measured['gateway']['raw_messages']:,} raw, "
        f"{measured['gateway']['requests']:,} requests",
    ]
