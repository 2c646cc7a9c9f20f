"""Every write of a scoring run: claim the run's slot, execute the scoring rules (scoring.rules) in one transaction,
keep the run's statistics, then the machine-learning stages (segmentation.ml)."""

import datetime
import logging
import time

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ConflictError
from segmentation.ml.parameters import ML_PARAMETERS
from segmentation.scoring.models import LifecycleRule, ScoringRun
from segmentation.scoring.rules import (
    CHANGES_SQL,
    DEFAULT_WINDOW_MONTHS,
    EVENTS_SQL,
    INSERT_SQL,
    LICENCE_EVENTS_SQL,
    PARETO_STATS_SQL,
    SCORE_SQL,
    STATS_SQL,
    TOP_SHARE_PCT,
    UPDATE_SQL,
    score_parameters,
)
from users.models import User

logger = logging.getLogger(__name__)

# a province run takes seconds; one still queued or running after this long has lost its worker or its message
RUN_STALE_AFTER = datetime.timedelta(hours=2)


def lifecycle_rule_current() -> LifecycleRule:
    """The rule row the next run uses: the one the admin edits (migration 0007 seeds it with the defaults; a database
    flushed of it gets that row back, so the admin always sees what runs use)."""
    rule = LifecycleRule.objects.order_by("id").first()
    return rule or LifecycleRule.objects.create()


def scoring_run_may_start(*, user: User) -> bool:
    return user.is_authenticated and user.has_perm("segmentation.add_scoringrun")


def _scoring_runs_abandon() -> int:
    """Free the slot held by a run that has made no progress for RUN_STALE_AFTER (its task message was lost, or
    its worker died and the broker gave up), so the nightly run is not blocked forever. A run being computed holds
    its row lock; this UPDATE waits for it and then finds it done, so a live run is never marked."""
    now = timezone.now()
    return ScoringRun.objects.filter(
        status__in=ScoringRun.ACTIVE_STATUSES,
        created_at__lt=now - RUN_STALE_AFTER,
    ).update(
        status=ScoringRun.Status.FAILED,
        finished_at=now,
        error=_("超过 %(hours)s 小时没有完成，已放弃；请重新发起评分。")
        % {"hours": int(RUN_STALE_AFTER.total_seconds() // 3600)},
    )


def scoring_run_start(
    *,
    user: User | None = None,
    as_of: datetime.date | None = None,
    window_months: int = DEFAULT_WINDOW_MONTHS,
    enqueue: bool = False,
) -> ScoringRun:
    """Claim the single run slot (a partial unique index makes a second queued/running run impossible) and, with
    `enqueue`, hand the run to a worker once the claim is committed. Raises ConflictError if a run is active
    (one abandoned for RUN_STALE_AFTER is marked failed first)."""
    as_of = as_of or timezone.localdate()
    _scoring_runs_abandon()
    parameters = {
        "as_of": as_of.isoformat(),
        "window_months": window_months,
        **lifecycle_rule_current().as_parameters(),
        "ml": dict(ML_PARAMETERS),
    }
    try:
        with transaction.atomic():
            run = ScoringRun.objects.create(
                parameters=parameters,
                status=ScoringRun.Status.QUEUED,
                created_by=user if user and user.pk else None,
            )
    except IntegrityError as exc:
        raise ConflictError(_("已有评分正在进行，请等它完成后再试。")) from exc
    if enqueue:
        from segmentation.tasks import scoring_run_task

        transaction.on_commit(lambda: scoring_run_task.delay(run.pk))
    return run


def scoring_run_execute(*, run_id: int) -> ScoringRun:
    """Compute every retailer's scores for the run, once. A run already done or failed is returned as it is, so a
    redelivered task (acks_late) does nothing; a run whose worker died mid-way (still running, its transaction
    rolled back) is computed again."""
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().get(pk=run_id)
        if not run.is_active:
            return run
        if run.status == ScoringRun.Status.QUEUED:
            run.status = ScoringRun.Status.RUNNING
            run.started_at = timezone.now()
            run.save(update_fields=["status", "started_at"])
    try:
        with transaction.atomic():
            # the lock makes a duplicate delivery wait here and then find the run done
            run = ScoringRun.objects.select_for_update().get(pk=run_id)
            if run.status != ScoringRun.Status.RUNNING:
                return run
            counts = _scores_compute(run=run)
            run.status = ScoringRun.Status.DONE
            run.finished_at = timezone.now()
            run.duration = run.finished_at - run.started_at
            run.scored_count, run.change_count, run.event_count, run.stats = counts
            run.save(
                update_fields=[
                    "status",
                    "finished_at",
                    "duration",
                    "scored_count",
                    "change_count",
                    "event_count",
                    "stats",
                    "churn_status",
                    "churn_auc",
                    "churn_baseline_auc",
                ]
            )
    except Exception as exc:
        logger.exception("scoring run %s failed", run_id)
        finished = timezone.now()
        ScoringRun.objects.filter(pk=run_id, status=ScoringRun.Status.RUNNING).update(
            status=ScoringRun.Status.FAILED,
            finished_at=finished,
            duration=finished - run.started_at,
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        raise
    return run


def scoring_run_nightly() -> ScoringRun | None:
    """Beat's 02:00 run: claim the slot and score in this worker. If a run is already active (a supervisor's
    "run now"), tonight's is skipped rather than queued behind it (None)."""
    try:
        run = scoring_run_start()
    except ConflictError:
        return None
    return scoring_run_execute(run_id=run.pk)


def _scores_compute(*, run: ScoringRun) -> tuple[int, int, int, dict]:
    """The set-based core: one statement computes all measures and classes into a temp table, then history, events
    and the upsert of the current scores follow from it, then the ML stages. Returns (scored, changes, events,
    stats)."""
    timings: dict[str, float] = {}
    with connection.cursor() as cursor:
        # The run's statements are few, big and plain: the planner's (pessimistic) costs make PostgreSQL JIT-compile
        # each one, which took 3.2 s of SCORE_SQL's time alone at province scale for nothing back. Off for this
        # transaction only.
        cursor.execute("SET LOCAL jit = off")
        params = score_parameters(run=run, cursor=cursor)

        def step(name: str, sql: str, args=None) -> int:
            started = time.perf_counter()
            cursor.execute(sql, args)
            timings[name] = round(timings.get(name, 0) + time.perf_counter() - started, 3)
            return cursor.rowcount

        cursor.execute("DROP TABLE IF EXISTS _score")
        scored = step("measures", SCORE_SQL, params)
        step("measures", "ANALYZE _score")
        changes = step("changes", CHANGES_SQL, params)
        events = step("events", EVENTS_SQL, params)
        events += step("events", LICENCE_EVENTS_SQL, params)
        step("write", UPDATE_SQL, params)
        step("write", INSERT_SQL, params)
        # retailers closed or merged since the last run keep no current score
        step(
            "write",
            "DELETE FROM segmentation_retailerscore s WHERE NOT EXISTS "
            "(SELECT 1 FROM _score n WHERE n.retailer_id = s.retailer_id)",
        )
        step("stats", STATS_SQL)
        stats: dict[str, dict] = {}
        for field, value, count in cursor.fetchall():
            stats.setdefault(field, {})[value] = count
        step("stats", PARETO_STATS_SQL)
        buyers, to_80 = cursor.fetchone()
        stats["pareto"] = {
            "buyers": buyers,
            "top_share_pct": TOP_SHARE_PCT,
            "buyers_for_80_pct": to_80,
            "share_for_80_pct": round(100 * to_80 / buyers, 1) if buyers else None,
        }
        cursor.execute("DROP TABLE _score")
        # imported here: scikit-learn and pandas load in seconds, which only a scoring run should pay
        from segmentation.ml.pipeline import ml_stages_run

        stats.update(ml_stages_run(run=run, cursor=cursor, timings=timings))
    stats["timings"] = timings
    return scored, changes, events, stats
