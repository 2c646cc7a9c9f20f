"""Reads from a PostgreSQL streaming replica (`DATABASE_REPLICA_URL`, the database alias REPLICA) for the pages that
only read: reports, exports, the cockpit, the segment explorer and the API's lists.

Nothing is guessed. A read goes to the replica only inside `replica_reads()` (a view says so with
`@reads_from_replica`; crm.urls wraps every API list), and even there only when all of these hold:

- a replica is configured (without DATABASE_REPLICA_URL there is no REPLICA alias and every query is the primary's);
- its lag is at most settings.REPLICA_MAX_LAG_SECONDS (`replica_status`, measured at most every
  REPLICA_LAG_CHECK_SECONDS): a replica further behind, or one that cannot be reached, leaves the page on the primary;
- the user has not written in the last REPLICA_MAX_LAG_SECONDS + REPLICA_LAG_CHECK_SECONDS (read-after-write:
  core.middleware.ReadAfterWriteMiddleware notes every successful POST/PUT/PATCH/DELETE). A replica within the
  bound has replayed every transaction older than the bound, so that window is enough;
- no transaction is open on the primary (a read inside `atomic()` must see that transaction's own writes);
- the model is not security state (sessions, API tokens, two-factor devices, lockouts): a revoked token or a
  disabled login takes effect at once, not after the replica's lag.

The choice is made once per request, at its first read that could go to the replica (so a page that reads nothing
there never measures the lag). Writes always go to the primary, also for an object that was read from the replica.
"""

import contextlib
import dataclasses
import functools
import time
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

REPLICA = "replica"
SAFE_METHODS = ("GET", "HEAD")

# Always read from the primary, whatever the page: who may act, right now.
PRIMARY_ONLY_APPS = frozenset({"sessions", "otp_totp", "otp_static", "axes"})
PRIMARY_ONLY_MODELS = frozenset({"users.staffsession", "users.apitoken"})

LAG_CACHE_KEY = "core:replica:lag"
WROTE_CACHE_KEY = "core:replica:wrote:{user_id}"

# The replica's delay: none when it is not a standby, or when it has replayed everything it received while its WAL
# receiver is connected (an idle primary sends nothing, so the last replayed commit's age would mean nothing);
# otherwise the age of the last transaction it replayed. NULL when it cannot tell (nothing replayed yet).
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
         AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver) THEN 0
    ELSE EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())
END
"""


def replica_configured() -> bool:
    return REPLICA in connections.settings


@dataclasses.dataclass(frozen=True)
class ReplicaStatus:
    configured: bool
    lag_seconds: float | None = None  # None: not configured, unreachable, or cannot tell
    max_lag_seconds: float = 0.0
    error: str = ""

    @property
    def usable(self) -> bool:
        return self.configured and self.lag_seconds is not None and self.lag_seconds <= self.max_lag_seconds


def _measure() -> tuple[float | None, str]:
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            lag = cursor.fetchone()[0]
    except DatabaseError as exc:
        connections[REPLICA].close()  # a broken connection is not reused by the next check
        return None, f"{exc.__class__.__name__}: {str(exc).strip()}"
    if lag is None:
        return None, "no transaction replayed yet"
    return max(0.0, float(lag)), ""


def replica_status() -> ReplicaStatus:
    """The replica's lag against the bound, measured at most every REPLICA_LAG_CHECK_SECONDS (one query for all the
    processes sharing the cache); a replica that cannot be reached is remembered as such for as long."""
    max_lag = float(settings.REPLICA_MAX_LAG_SECONDS)
    if not replica_configured():
        return ReplicaStatus(configured=False, max_lag_seconds=max_lag)
    measured = cache.get(LAG_CACHE_KEY)
    if measured is None:
        measured = _measure()
        cache.set(LAG_CACHE_KEY, measured, timeout=settings.REPLICA_LAG_CHECK_SECONDS)
    lag, error = measured
    return ReplicaStatus(configured=True, lag_seconds=lag, max_lag_seconds=max_lag, error=error)


def _sticky_seconds() -> float:
    return float(settings.REPLICA_MAX_LAG_SECONDS) + float(settings.REPLICA_LAG_CHECK_SECONDS)


def replica_note_write(*, user_id: int) -> None:
    """`user_id` has just written: their reads stay on the primary until the replica surely has the write."""
    if replica_configured():
        cache.set(WROTE_CACHE_KEY.format(user_id=user_id), time.time(), timeout=_sticky_seconds())


def _wrote_recently(request) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    wrote_at = cache.get(WROTE_CACHE_KEY.format(user_id=user.pk))
    return wrote_at is not None and time.time() - wrote_at < _sticky_seconds()


class _Reading:
    """One `replica_reads()` block: where its reads go, decided at the first read that could go to the replica."""

    def __init__(self, request):
        self.request = request
        self.alias: str | None = None
        self.decided = False
        self.deciding = False

    def target(self) -> str:
        if not self.decided:
            if self.deciding:  # a read made while deciding (the user, for the read-after-write check)
                return DEFAULT_DB_ALIAS
            self.deciding = True
            try:
                usable = (
                    replica_configured()
                    and not (self.request is not None and _wrote_recently(self.request))
                    and replica_status().usable
                )
            finally:
                self.deciding = False
            self.alias = REPLICA if usable else DEFAULT_DB_ALIAS
            self.decided = True
        return self.alias


_reading: ContextVar[_Reading | None] = ContextVar("replica_reading", default=None)


@contextlib.contextmanager
def replica_reads(request=None):
    """Reads in this block may go to the replica (see the module's docstring for when they do). `request` gives the
    user whose recent writes keep them on the primary; without it only the lag decides."""
    token = _reading.set(_Reading(request))
    try:
        yield
    finally:
        _reading.reset(token)


def _streamed_in(reading: _Reading, chunks):
    """A streamed response's chunks, each produced inside the view's own reading block (an export's rows are read
    while it is sent, after the view has returned)."""
    iterator = iter(chunks)
    while True:
        token = _reading.set(reading)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _reading.reset(token)
        yield chunk


def reads_from_replica(view):
    """A view whose GET only reads: its reads may go to the replica (`replica_reads`). Other methods (a POST to
    the same URL) are untouched. Put it next to the view, under the permission decorators, so that the checks of
    who may see the page read the primary. Sets `view.reads_from_replica`, which tests enumerate."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in SAFE_METHODS:
            return view(request, *args, **kwargs)
        with replica_reads(request):
            reading = _reading.get()
            response = view(request, *args, **kwargs)
        if getattr(response, "streaming", False):
            response.streaming_content = _streamed_in(reading, response.streaming_content)
        return response

    wrapper.reads_from_replica = True
    return wrapper


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: reads inside `replica_reads()` to the replica when it is usable, everything else
    to the primary. Without a replica configured it has no opinion, and Django's single database is used as ever."""

    def db_for_read(self, model, **hints):
        if not replica_configured():
            return None
        reading = _reading.get()
        meta = model._meta
        if (
            reading is None
            or meta.app_label in PRIMARY_ONLY_APPS
            or meta.label_lower in PRIMARY_ONLY_MODELS
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return DEFAULT_DB_ALIAS
        return reading.target()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS if replica_configured() else None

    def allow_relation(self, obj1, obj2, **hints):
        aliases = {DEFAULT_DB_ALIAS, REPLICA}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True  # the same data, one of them possibly a little older
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA else None  # a standby is read-only: it gets the schema by replication
