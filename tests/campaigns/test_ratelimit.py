"""The global send rate: both bucket backends grant at most the burst at once, refill at the rate, and the
cache backend never updates the bucket without its lock."""

import os
import time

import pytest
from django.conf import settings
from django.core.cache import cache

from campaigns.ratelimit import CacheTokenBucket, RedisTokenBucket, bucket_size

# Redis where REDIS_URL names one (CI's second pass, `-m "celery or redis"`); the cache backend everywhere
BACKENDS = ["cache", *(["redis"] if os.environ.get("REDIS_URL") else [])]
pytestmark = pytest.mark.redis


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_bucket_grants_the_burst_then_refills_at_the_rate(backend):
    if backend == "redis":
        bucket = RedisTokenBucket(rate=500, url=settings.REDIS_URL)
    else:
        bucket = CacheTokenBucket(rate=500)
    bucket.reset()
    burst = bucket_size(500)

    assert bucket.acquire(1000, timeout=0) == burst  # a full bucket holds the burst, never more
    assert bucket.acquire(burst, timeout=0) == 0  # empty: nothing without waiting
    started = time.monotonic()
    assert bucket.acquire(burst, timeout=5) == burst  # refilled at 500/s: burst tokens take ~burst/500 s
    assert time.monotonic() - started >= (burst - 1) / 500


def test_the_cache_bucket_grants_nothing_while_another_process_holds_its_lock():
    bucket = CacheTokenBucket(rate=500)
    bucket.reset()
    cache.add(CacheTokenBucket.LOCK, 1, timeout=5)
    try:
        assert bucket._take(5, 5) == (0, 0.01)
    finally:
        cache.delete(CacheTokenBucket.LOCK)
    assert bucket._take(5, 5)[0] == 5
