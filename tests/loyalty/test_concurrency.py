"""Real concurrency on PostgreSQL: threads with their own connections, committed data (transactional tests)."""

import threading
from collections import Counter

import pytest
from django.db import connection

from core.errors import ConflictError
from core.idempotency import idempotent
from loyalty.ledger.models import PointsEntry
from loyalty.rewards.models import Redemption
from loyalty.rewards.services import reward_redeem
from loyalty.selectors import ledger_discrepancies
from tests.loyalty.conftest import balance_of
from tests.loyalty.factories import RewardFactory

THREADS = 50


def run_together(count: int, work) -> list:
    """Run work(i) in `count` threads released at once; each closes its own connection. Returns the results
    (or the exceptions) in thread order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i):
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as exc:  # the test inspects what each thread got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_redemptions_of_100_against_1000_let_exactly_ten_through(retailer_a, fund):
    reward = RewardFactory(name="定制烟柜灯箱", points_price=100)
    fund(retailer_a, 600)
    fund(retailer_a, 400)

    results = run_together(
        THREADS, lambda _i: reward_redeem(retailer_id=retailer_a.pk, reward_id=reward.pk, channel="link")
    )

    outcomes = Counter(type(result).__name__ for result in results)
    assert outcomes == {"Redemption": 10, "ConflictError": 40}
    assert all("积分不足" in str(r) for r in results if isinstance(r, ConflictError))
    assert balance_of(retailer_a) == 0
    assert Redemption.objects.count() == 10
    assert PointsEntry.objects.filter(kind="redeem").count() == 10
    assert ledger_discrepancies() == []


@pytest.mark.django_db(transaction=True)
def test_the_last_reward_in_stock_goes_to_one_of_many(retailer_a, retailer_b, fund):
    reward = RewardFactory(name="限量礼盒", points_price=10, stock=1)
    fund(retailer_a, 100)
    fund(retailer_b, 100)
    shops = [retailer_a, retailer_b] * 5

    results = run_together(
        10, lambda i: reward_redeem(retailer_id=shops[i].pk, reward_id=reward.pk, channel="link")
    )

    assert sum(isinstance(r, Redemption) for r in results) == 1
    reward.refresh_from_db()
    assert reward.stock == 0
    assert balance_of(retailer_a) + balance_of(retailer_b) == 190


@pytest.mark.django_db(transaction=True)
def test_the_same_idempotency_key_sent_at_once_redeems_once_and_answers_alike(retailer_a, fund):
    reward = RewardFactory(name="电子价签", points_price=100)
    fund(retailer_a, 1000)

    def attempt(_i):
        def run():
            redemption = reward_redeem(retailer_id=retailer_a.pk, reward_id=reward.pk, channel="api")
            return 201, {"id": redemption.pk, "points": redemption.points}

        return idempotent(
            principal="user:7", key="retry-me", endpoint="redemptions", payload={"reward": reward.pk}, run=run
        )

    results = run_together(10, attempt)

    assert Redemption.objects.count() == 1
    assert {(status, body["id"]) for status, body, _replayed in results} == {
        (201, Redemption.objects.get().pk)
    }
    assert sum(not replayed for _s, _b, replayed in results) == 1
    assert balance_of(retailer_a) == 900
