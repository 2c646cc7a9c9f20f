"""Transitions other apps subscribe to: licence-expiry thresholds raised by the nightly run (once per licence and
threshold), tier changes written by the tier engine, and the consumer's cursor read."""

import datetime

import pytest

from segmentation.scoring.models import ScoringEvent
from segmentation.scoring.selectors import scoring_events_after
from segmentation.tiers.services import tier_change_decide, tier_change_request
from tests.accounts.factories import RetailerFactory
from tests.segmentation.conftest import AS_OF

pytestmark = pytest.mark.django_db


def _expiring_in(route, days: int):
    expires = AS_OF + datetime.timedelta(days=days)
    return RetailerFactory(
        route=route,
        licence_expires_on=expires,
        licence_issued_on=expires - datetime.timedelta(days=5 * 365 - 10),
    )


def _licence_events(retailer):
    return list(
        ScoringEvent.objects.filter(retailer=retailer, kind__startswith="licence_")
        .order_by("id")
        .values_list("kind", "ref_date", "detail")
    )


def test_the_run_raises_only_the_tightest_licence_threshold_once(route_a, score_now):
    in_25, in_45, in_90, in_91, expired = (_expiring_in(route_a, d) for d in (25, 45, 90, 91, -3))

    first = score_now()

    assert _licence_events(in_25) == [("licence_expiring_30", in_25.licence_expires_on, {"days_left": 25})]
    assert _licence_events(in_45) == [("licence_expiring_60", in_45.licence_expires_on, {"days_left": 45})]
    assert _licence_events(in_90) == [("licence_expiring_90", in_90.licence_expires_on, {"days_left": 90})]
    assert _licence_events(in_91) == _licence_events(expired) == []
    assert first.event_count == 3  # the first run raises licence events, unlike lifecycle ones

    score_now()  # same day again: nothing new
    assert ScoringEvent.objects.filter(kind__startswith="licence_").count() == 3

    later = score_now(as_of=AS_OF + datetime.timedelta(days=20))  # 25→5, 45→25, 90→70, 91→71 days left
    assert later.event_count == 2  # 45 → 25 days crosses 30; 91 → 71 crosses 90
    assert [k for k, _, _ in _licence_events(in_25)] == ["licence_expiring_30"]
    assert [k for k, _, _ in _licence_events(in_45)] == ["licence_expiring_60", "licence_expiring_30"]
    assert [k for k, _, _ in _licence_events(in_90)] == ["licence_expiring_90"]
    assert [k for k, _, _ in _licence_events(in_91)] == ["licence_expiring_90"]


def test_a_renewed_licence_starts_its_thresholds_over(route_a, score_now):
    shop = _expiring_in(route_a, 20)
    score_now()
    renewed = shop.licence_expires_on + datetime.timedelta(days=60)
    type(shop).objects.filter(pk=shop.pk).update(licence_expires_on=renewed)

    score_now()

    assert _licence_events(shop) == [
        ("licence_expiring_30", AS_OF + datetime.timedelta(days=20), {"days_left": 20}),
        ("licence_expiring_90", renewed, {"days_left": 80}),
    ]


def test_closed_and_merged_retailers_raise_no_licence_event(route_a, score_now):
    closed = _expiring_in(route_a, 10)
    type(closed).objects.filter(pk=closed.pk).update(status="closed")
    score_now()
    assert _licence_events(closed) == []


def test_an_approved_tier_change_raises_one_event_a_rejected_one_none(
    retailer_a, manager_a, supervisor_a, company_admin
):
    asked = tier_change_request(user=manager_a, retailer_id=retailer_a.pk, to_tier=15, reason="销量上升")
    tier_change_decide(user=supervisor_a, change_id=asked.pk, approve=False)
    assert not ScoringEvent.objects.filter(kind="tier_changed").exists()

    again = tier_change_request(user=manager_a, retailer_id=retailer_a.pk, to_tier=15, reason="销量上升")
    tier_change_decide(user=supervisor_a, change_id=again.pk, approve=True)

    event = ScoringEvent.objects.get(kind="tier_changed")
    assert (event.retailer_id, event.run_id, event.detail) == (
        retailer_a.pk,
        None,
        {"from": 10, "to": 15, "source": "manual"},
    )


def test_a_consumer_follows_events_by_cursor(route_a, score_now):
    shops = [_expiring_in(route_a, d) for d in (10, 50, 80)]
    score_now()
    first = scoring_events_after(after_id=0, limit=2)
    assert len(first) == 2
    assert [e.pk for e in first] == sorted(e.pk for e in first)  # in the order they were written
    rest = scoring_events_after(after_id=first[-1].pk)
    assert len(rest) == 1
    # one event a shop, each read once (the run writes them in one statement, in no promised order)
    assert sorted(e.retailer_id for e in [*first, *rest]) == sorted(s.pk for s in shops)
    assert scoring_events_after(after_id=rest[-1].pk) == []
    only_30 = scoring_events_after(kinds=["licence_expiring_30"])
    assert [e.retailer_id for e in only_30] == [shops[0].pk]


def test_the_events_api_is_scoped_and_follows_after(
    route_a, route_b, manager_a, manager_b, score_now, api_client_for
):
    mine = _expiring_in(route_a, 10)
    theirs = _expiring_in(route_b, 10)
    score_now()
    client = api_client_for(manager_a)

    body = client.get("/api/v1/scoring-events/").json()
    assert [e["retailer"] for e in body["results"]] == [mine.pk]
    assert body["results"][0]["kind"] == "licence_expiring_30"
    after = client.get("/api/v1/scoring-events/", {"after": body["results"][0]["id"]}).json()
    assert after["results"] == []
    other = api_client_for(manager_b).get("/api/v1/scoring-events/", {"kind": "licence_expiring_30"}).json()
    assert [e["retailer"] for e in other["results"]] == [theirs.pk]
    bad = client.get("/api/v1/scoring-events/", {"kind": "nonsense"})
    assert bad.status_code == 400
