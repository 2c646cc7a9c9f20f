"""The global send rate shared by every worker: a token bucket refilled at CAMPAIGNS_RATE_LIMIT_PER_SECOND.

With REDIS_URL the bucket lives in Redis and one Lua script takes tokens atomically (Redis' own clock, so every
worker on every machine sees the same bucket). Without Redis (the embedded `make run` mode) it lives in the
Django cache — the file cache under .data/cache there — behind a short lock made with cache.add: the same
interface, correct for the processes of one machine, but not atomic the way Redis is, so it is a development
mode only. The backend is chosen by settings.CAMPAIGNS_RATE_LIMIT_BACKEND ("redis" when REDIS_URL is set) and
logged when a worker starts; nothing switches from one to the other at run time.

The bucket holds at most `burst` tokens (2 % of a second's rate): in any one second at most rate + burst
messages leave, and a worker takes tokens in chunks of up to `burst`, sending each chunk as soon as it has it.
"""

import logging
import time
from abc import ABC, abstractmethod

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)
KEY = "campaigns:send-bucket"
BURST_SHARE = 0.02

_TAKE_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local least = tonumber(ARGV[4])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then tokens = burst; at = now end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local granted = 0
if tokens >= least then
  granted = math.min(want, math.floor(tokens))
  tokens = tokens - granted
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 60000)
local wait_us = 0
if granted == 0 then wait_us = math.ceil((least - tokens) / rate * 1000000) end
return {granted, wait_us}
"""


def bucket_size(rate: int) -> int:
    return max(1, int(rate * BURST_SHARE))


class TokenBucket(ABC):
    """acquire(want) blocks until it can take between 1 and `want` tokens and returns how many it took."""

    backend = "abstract"

    def __init__(self, *, rate: int):
        if rate < 1:
            raise ValueError("the send rate must be at least 1 message per second")
        self.rate = rate
        self.burst = bucket_size(rate)

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

    def __init__(self, *, rate: int, url: str):
        super().__init__(rate=rate)
        import redis

        self.client = redis.Redis.from_url(url)
        self.script = self.client.register_script(_TAKE_LUA)

    def _take(self, want: int, least: int) -> tuple[int, float]:
        granted, wait_us = self.script(keys=[KEY], args=[self.rate, self.burst, want, least])
        return int(granted), int(wait_us) / 1_000_000

    def reset(self) -> None:
        self.client.delete(KEY)


class CacheTokenBucket(TokenBucket):
    backend = "cache"
    LOCK = KEY + ":lock"

    def _take(self, want: int, least: int) -> tuple[int, float]:
        for _ in range(200):
            if cache.add(self.LOCK, 1, timeout=2):
                break
            time.sleep(0.002)
        else:
            # another process holds the bucket: grant nothing now rather than update it unlocked
            return 0, 0.01
        try:
            now = time.time()
            tokens, at = cache.get(KEY) or (float(self.burst), now)
            tokens = min(self.burst, tokens + max(0.0, now - at) * self.rate)
            granted = 0
            if tokens >= least:
                granted = min(want, int(tokens))
                tokens -= granted
            cache.set(KEY, (tokens, now), timeout=60)
        finally:
            cache.delete(self.LOCK)
        return granted, 0.0 if granted else (least - tokens) / self.rate

    def reset(self) -> None:
        cache.delete(KEY)


_buckets: dict[tuple, TokenBucket] = {}


def send_bucket() -> TokenBucket:
    """This process's handle on the shared bucket, for the configured backend and rate."""
    rate = settings.CAMPAIGNS_RATE_LIMIT_PER_SECOND
    backend = settings.CAMPAIGNS_RATE_LIMIT_BACKEND
    key = (backend, rate, settings.REDIS_URL)
    bucket = _buckets.get(key)
    if bucket is None:
        if backend == "redis":
            bucket = RedisTokenBucket(rate=rate, url=settings.REDIS_URL)
        elif backend == "cache":
            bucket = CacheTokenBucket(rate=rate)
        else:
            raise ValueError(f"unknown CAMPAIGNS_RATE_LIMIT_BACKEND {backend!r} (redis or cache)")
        _buckets[key] = bucket
    return bucket


def describe() -> str:
    backend = settings.CAMPAIGNS_RATE_LIMIT_BACKEND
    where = "Redis (REDIS_URL)" if backend == "redis" else "the Django cache (no REDIS_URL: development mode)"
    rate = settings.CAMPAIGNS_RATE_LIMIT_PER_SECOND
    return f"global send rate {rate}/s, token bucket of {bucket_size(rate)} in {where}"
