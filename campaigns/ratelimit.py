"""The global send rate shared by every worker: a token bucket that never lets more than
CAMPAIGNS_RATE_LIMIT_PER_SECOND messages reach the carrier in any one wall-clock second.

With REDIS_URL the bucket lives in Redis and one Lua script takes tokens atomically (Redis' own clock, so every
worker on every machine sees the same bucket). Without Redis (the embedded `make run` mode) it is one row in
PostgreSQL (SendBucket) taken from by one UPDATE that locks the row, on the database's clock: the same
guarantee, a round trip to the database per take. (It used to live in the file cache behind a lock made with
cache.add: each process's own clock, and under contention the lock's retries cost a third of the rate.) The
backend is chosen by settings.CAMPAIGNS_RATE_LIMIT_BACKEND ("redis" when REDIS_URL is set, else "database")
and logged when a worker starts; nothing switches from one to the other at run time.

Why the bucket refills slower than the limit: a bucket of `burst` tokens refilled at r lets burst + r·L grants
through in any span of L seconds, and a carrier counts what *arrives* in its second, not what we granted in
ours. A sender needs some time between its grant and the carrier's receipt (the HTTP call, a process the machine
stalls for a moment), and when that time varies by up to `latency` seconds, the messages arriving in one carrier
second were granted within 1 + latency seconds of ours. So the bucket refills at
(limit − burst) / (1 + latency): burst + refill · (1 + latency) = limit, and no second carries more than the
limit as long as no sender is later than `latency` (CAMPAIGNS_RATE_LIMIT_LATENCY_SECONDS, env
SEND_RATE_LATENCY_MS, default 50 ms; the senders take their tokens just before the gateway call for that
reason). The old bucket refilled at the limit itself: its busiest second carried the limit plus the bucket
plus what late senders carried over a second's edge (216 at 200/s in `bench dispatch`).

The bucket holds at most `burst` tokens (4 % of a second's rate) and a sender takes at most half of it at once
(`chunk`): while the senders wait for their next chunk the bucket keeps filling, where a bucket no larger than a
chunk would lose every token refilled between its filling up and the next sender's turn.
"""

import logging
import time
from abc import ABC, abstractmethod

from django.conf import settings

logger = logging.getLogger(__name__)
KEY = "campaigns:send-bucket"
BURST_SHARE = 0.04

_TAKE_LUA = """
local refill = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local least = tonumber(ARGV[4])
local clock = redis.call('TIME')
local sec = tonumber(clock[1])
local usec = tonumber(clock[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'sec', 'usec')
local tokens = tonumber(state[1])
local elapsed = 0
if tokens == nil or state[2] == false or state[3] == false then
  tokens = burst
else
  -- whole seconds and microseconds kept apart: tostring() keeps 14 digits, too few for epoch microseconds
  elapsed = (sec - tonumber(state[2])) + (usec - tonumber(state[3])) / 1000000
end
tokens = math.min(burst, tokens + math.max(0, elapsed) * refill)
local granted = 0
if tokens >= least then
  granted = math.min(want, math.floor(tokens))
  tokens = tokens - granted
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'sec', clock[1], 'usec', clock[2])
redis.call('PEXPIRE', KEYS[1], 60000)
local wait_us = 0
if granted == 0 then wait_us = math.ceil((least - tokens) / refill * 1000000) end
return {granted, wait_us}
"""


def bucket_size(rate: int) -> int:
    return max(1, int(rate * BURST_SHARE))


def chunk_size(rate: int) -> int:
    """The most tokens one sender takes at once: half the bucket."""
    return max(1, bucket_size(rate) // 2)


def refill_rate(rate: int, *, burst: int, latency: float) -> float:
    """Tokens per second such that burst + refill · (1 + latency) == rate (see the module's docstring)."""
    return (rate - burst) / (1.0 + latency) if rate > burst else rate / (1.0 + latency) / 2


class TokenBucket(ABC):
    """acquire(want) blocks until it can take between 1 and `want` tokens and returns how many it took."""

    backend = "abstract"

    def __init__(self, *, rate: int, latency: float | None = None):
        if rate < 1:
            raise ValueError("the send rate must be at least 1 message per second")
        self.rate = rate
        self.burst = bucket_size(rate)
        self.chunk = chunk_size(rate)
        self.latency = settings.CAMPAIGNS_RATE_LIMIT_LATENCY_SECONDS if latency is None else latency
        if not 0 <= self.latency < 1:
            raise ValueError("the latency allowance must be between 0 and 1 second")
        self.refill = refill_rate(rate, burst=self.burst, latency=self.latency)

    @abstractmethod
    def _take(self, want: int, least: int) -> tuple[int, float]:
        """(tokens granted, seconds to wait before asking again when none were)."""

    def acquire(self, want: int, *, timeout: float = 60.0) -> int:
        """Take up to `want` tokens, waiting for at least min(want, burst). 0 only after `timeout` seconds."""
        if want <= 0:
            return 0
        least = min(want, self.burst)
        deadline = time.monotonic() + timeout
        while True:
            granted, wait = self._take(want, least)
            if granted:
                return granted
            if time.monotonic() + wait > deadline:
                return 0
            time.sleep(max(wait, 0.001))


class RedisTokenBucket(TokenBucket):
    backend = "redis"

    def __init__(self, *, rate: int, url: str, latency: float | None = None):
        super().__init__(rate=rate, latency=latency)
        import redis

        self.client = redis.Redis.from_url(url)
        self.script = self.client.register_script(_TAKE_LUA)

    def _take(self, want: int, least: int) -> tuple[int, float]:
        granted, wait_us = self.script(keys=[KEY], args=[self.refill, self.burst, want, least])
        return int(granted), int(wait_us) / 1_000_000

    def reset(self) -> None:
        self.client.delete(KEY)


_TAKE_SQL = """
WITH held AS (
  SELECT tokens, at, clock_timestamp() AS now FROM campaigns_sendbucket WHERE name = %(name)s FOR UPDATE
), level AS (
  SELECT now, least(%(burst)s, tokens + greatest(0, extract(epoch FROM now - at)) * %(refill)s) AS tokens FROM held
), taken AS (
  SELECT now, tokens,
    CASE WHEN tokens >= %(least)s THEN least(%(want)s, floor(tokens)) ELSE 0 END AS granted FROM level
)
UPDATE campaigns_sendbucket b SET tokens = taken.tokens - taken.granted, at = taken.now
FROM taken WHERE b.name = %(name)s
RETURNING taken.granted::int, taken.tokens - taken.granted"""


class DatabaseTokenBucket(TokenBucket):
    """The bucket as one row in PostgreSQL, for an installation without Redis: one statement locks the row,
    refills it on the database's clock (one clock for every worker, whatever machine it runs on) and takes."""

    backend = "database"

    def _take(self, want: int, least: int) -> tuple[int, float]:
        from django.db import connection

        params = {
            "name": KEY,
            "burst": float(self.burst),
            "refill": self.refill,
            "least": least,
            "want": want,
        }
        with connection.cursor() as cursor:
            cursor.execute(_TAKE_SQL, params)
            row = cursor.fetchone()
            if row is None:  # the first take ever (or after a reset): a full bucket
                cursor.execute(
                    "INSERT INTO campaigns_sendbucket (name, tokens, at) VALUES (%s, %s, clock_timestamp()) "
                    "ON CONFLICT (name) DO NOTHING",
                    [KEY, float(self.burst)],
                )
                cursor.execute(_TAKE_SQL, params)
                row = cursor.fetchone()
        granted, tokens = int(row[0]), float(row[1])
        return granted, 0.0 if granted else (least - tokens) / self.refill

    def reset(self) -> None:
        from campaigns.models import SendBucket

        SendBucket.objects.filter(name=KEY).delete()


_buckets: dict[tuple, TokenBucket] = {}


def send_bucket() -> TokenBucket:
    """This process's handle on the shared bucket, for the configured backend and rate."""
    rate = settings.CAMPAIGNS_RATE_LIMIT_PER_SECOND
    backend = settings.CAMPAIGNS_RATE_LIMIT_BACKEND
    key = (backend, rate, settings.REDIS_URL, settings.CAMPAIGNS_RATE_LIMIT_LATENCY_SECONDS)
    bucket = _buckets.get(key)
    if bucket is None:
        if backend == "redis":
            bucket = RedisTokenBucket(rate=rate, url=settings.REDIS_URL)
        elif backend == "database":
            bucket = DatabaseTokenBucket(rate=rate)
        else:
            raise ValueError(f"unknown CAMPAIGNS_RATE_LIMIT_BACKEND {backend!r} (redis or database)")
        _buckets[key] = bucket
    return bucket


def describe() -> str:
    backend = settings.CAMPAIGNS_RATE_LIMIT_BACKEND
    where = "Redis (REDIS_URL)" if backend == "redis" else "PostgreSQL (no REDIS_URL)"
    rate = settings.CAMPAIGNS_RATE_LIMIT_PER_SECOND
    burst, latency = bucket_size(rate), settings.CAMPAIGNS_RATE_LIMIT_LATENCY_SECONDS
    refill = refill_rate(rate, burst=burst, latency=latency)
    return (
        f"global send rate {rate}/s, token bucket of {burst} refilled at {refill:.1f}/s in {where} "
        f"(no second above {rate} for senders up to {latency * 1000:.0f} ms late)"
    )
