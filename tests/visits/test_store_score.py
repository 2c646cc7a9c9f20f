"""The store score (终端形象/规范经营分) on hand-built visits: the weighted arithmetic with the default and the
admin's weights, the score stored per visit, the shop's trend on the portrait, and the daily list's reason for a
shop whose last scored visit is below the threshold — read from the shop's facts row (visits.ShopFacts)."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.accounts.factories import RetailerFactory
from tests.visits.factories import VisitPolicyFactory
from visits.daily.selectors import W_LOW_STORE_SCORE, _ranked, daily_list
from visits.models import StoreScoreItem, Visit
from visits.scoring import DEFAULT_WEIGHTS, store_score
from visits.selectors import store_score_weights

pytestmark = pytest.mark.django_db


def test_weighted_arithmetic_leaves_unchecked_items_out():
    checklist = {
        "licence_displayed": True,
        "minors_sign": True,
        "price_tags": False,
        "display_ok": None,
        "image_rating": 3,
    }
    # (25 + 25 + 0 + 15 × ⅔) ÷ (25 + 25 + 20 + 15) = 60 ÷ 85 → 70.6 → 71
    assert store_score(checklist, DEFAULT_WEIGHTS) == 71
    assert store_score({**checklist, "price_tags": None}, DEFAULT_WEIGHTS) == 92  # 60 ÷ 65
    assert store_score({"image_rating": 1}, DEFAULT_WEIGHTS) == 0
    assert store_score({}, DEFAULT_WEIGHTS) is None
    assert store_score({"price_tags": True}, {**DEFAULT_WEIGHTS, "price_tags": 0}) is None


def test_admin_weights_replace_the_defaults_item_by_item(record, manager_a, retailer_a):
    StoreScoreItem.objects.create(item="price_tags", weight=0)
    StoreScoreItem.objects.create(item="licence_displayed", weight=50)
    assert store_score_weights() == {**DEFAULT_WEIGHTS, "price_tags": 0, "licence_displayed": 50}
    visit = record(manager_a, retailer_a, licence_displayed=True, minors_sign=False, price_tags=False)
    assert visit.store_score == 67  # 50 ÷ (50 + 25)
    assert record(manager_a, retailer_a).store_score is None


@pytest.fixture
def shops(record, manager_a, route_a):
    low, recovered, rejected_low, fine = (RetailerFactory(route=route_a) for _ in range(4))
    record(manager_a, low, days_ago=3, licence_displayed=True, minors_sign=True, price_tags=True)
    record(
        manager_a, low, days_ago=1, licence_displayed=False, minors_sign=True, price_tags=False
    )  # 25/70 → 36
    record(manager_a, recovered, days_ago=3, licence_displayed=False, minors_sign=False)
    record(manager_a, recovered, days_ago=1, licence_displayed=True, minors_sign=True)
    record(manager_a, rejected_low, days_ago=3, licence_displayed=True)
    bad = record(manager_a, rejected_low, days_ago=1, licence_displayed=False)
    Visit.objects.filter(pk=bad.pk).update(trust=Visit.Trust.REJECTED, review_reason="虚假走访")
    record(manager_a, fine, days_ago=1, licence_displayed=True)
    return low, recovered, rejected_low, fine


def test_daily_list_names_the_shops_below_the_threshold(shops, manager_a):
    low = shops[0]
    entries = {e.retailer.pk: e for e in daily_list(manager=manager_a)}
    assert set(entries) == {low.pk}
    (reason,) = entries[low.pk].reasons
    assert (reason.code, reason.points, reason.text) == (
        "store_score",
        W_LOW_STORE_SCORE,
        "终端形象分 36，低于 60 分",
    )
    VisitPolicyFactory(store_score_threshold=30)
    assert daily_list(manager=manager_a) == []


def test_the_score_is_read_from_the_shops_facts_row_not_from_its_visits(shops, manager_a):
    sql = str(_ranked(manager=manager_a, today=timezone.localdate(), shops=[s.pk for s in shops]).query)
    # the last visit and the store score come from the one facts row of the shop (kept by the database on every
    # write of a visit, tests/visits/test_shop_facts.py), not from a read of the company's visits
    assert not re.search(r"\bvisits_visit\b", sql)
    assert sql.count("visits_shopfacts") == 1
    assert 'facts.retailer_id = "accounts_retailer"."id"' in sql


def test_the_portrait_panel_shows_the_score_and_its_trend(shops, client_for, manager_a):
    low = shops[0]
    html = client_for(manager_a).get(reverse("visits:retailer-visits", args=[low.pk])).content.decode()
    assert 'id="store-score-latest">36<' in html
    assert "100→36" in html
    assert "低于 60 分" in html
    assert "<polyline" in html


def test_api_and_detail_give_the_visit_score(shops, client_for, api_client_for, manager_a):
    visit = Visit.objects.filter(retailer=shops[0]).order_by("-visited_on").first()
    assert api_client_for(manager_a).get(reverse("visit-detail", args=[visit.pk])).json()["store_score"] == 36
    html = client_for(manager_a).get(reverse("visits:visit-detail", args=[visit.pk])).content.decode()
    assert 'id="visit-store-score">36<' in html
