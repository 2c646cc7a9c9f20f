"""Duplicates: the scan finds candidate pairs, a person dismisses or merges them; a merge moves orders (and
rebuilds both retailers' summaries), fills blanks, closes the duplicate and keeps both histories."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from accounts.dedupe.models import DuplicatePair
from accounts.dedupe.services import duplicate_dismiss, duplicates_open, duplicates_scan, retailer_merge
from accounts.imports.models import ImportJob
from accounts.models import ConsentEvent, Retailer, RetailerEvent
from accounts.services import retailer_consent_set
from core.errors import ConflictError
from sales.models import Order, RetailerPeriodSummary
from tests.accounts.factories import RetailerFactory
from tests.imports.helpers import run_import
from tests.sales.conftest import PRODUCTS
from tests.sales.helpers import assert_summaries_equal_rebuild, order_line, orders_csv
from tests.users.factories import DepartmentFactory, RouteFactory

CODE = next(iter(PRODUCTS))
PRICE = PRODUCTS[CODE][2]
DAY = datetime.date(2025, 3, 5)


def pair_of(a: Retailer, b: Retailer) -> DuplicatePair | None:
    first, second = sorted([a.pk, b.pk])
    return DuplicatePair.objects.filter(first_id=first, second_id=second).first()


@pytest.fixture
def twins(route_a, retailer_a):
    """retailer_a and a second record of the same shop: same phone, similar name and address, some fields
    retailer_a lacks, and a tier that differs."""
    twin = RetailerFactory(
        route=route_a,
        shop_name="老城甲号便利店（分店）",
        owner_name="周甲",
        mobile=retailer_a.mobile,
        address=retailer_a.address + "院",
        email="zhoujia@example.com",
        latitude=Decimal("34.682000"),
        longitude=Decimal("112.454000"),
        shop_area_m2=35,
        tier=20,
        owner_id_number="",
        bank_account="",
    )
    return retailer_a, twin


@pytest.fixture
def merged_world(twins, supervisor_a, products):
    """Both twins have orders (and so summaries) and history."""
    survivor, duplicate = twins
    run_import(
        user=supervisor_a,
        kind=ImportJob.Kind.ORDERS,
        content=orders_csv(
            [
                order_line("DD1", survivor.licence_no, DAY, CODE, 2, PRICE),
                order_line("DD2", duplicate.licence_no, DAY + datetime.timedelta(days=1), CODE, 3, PRICE),
                order_line("DD3", duplicate.licence_no, DAY + datetime.timedelta(days=40), CODE, 1, PRICE),
            ]
        ),
    )
    retailer_consent_set(actor=None, retailer=duplicate, channel="sms", granted=True, source="纸质授权书")
    return survivor, duplicate


# ---- the scan --------------------------------------------------------------------------------------------------


def test_scan_finds_same_phone_and_similar_name_and_address_pairs(twins):
    a, b = twins
    assert duplicates_scan() >= 1
    pair = pair_of(a, b)
    assert pair is not None
    assert pair.reason == DuplicatePair.Reason.PHONE  # the phone match is recorded first
    assert pair.status == DuplicatePair.Status.OPEN


def test_scan_finds_a_fuzzy_pair_with_different_phones_in_one_department(route_a):
    a = RetailerFactory(route=route_a, shop_name="西关福满多超市", address="河南省洛阳市老城区西关大街18号")
    b = RetailerFactory(
        route=route_a, shop_name="西关福满多超市二店", address="河南省洛阳市老城区西关大街18号院"
    )
    unrelated = RetailerFactory(route=route_a, shop_name="邙山烟酒行", address="河南省洛阳市老城区邙山镇3号")
    duplicates_scan()
    pair = pair_of(a, b)
    assert pair is not None
    assert pair.reason == DuplicatePair.Reason.FUZZY
    assert 0.5 <= pair.score <= 1
    assert pair_of(a, unrelated) is None
    assert pair_of(b, unrelated) is None


def test_scan_does_not_pair_similar_names_across_departments(route_a, route_b):
    a = RetailerFactory(route=route_a, shop_name="福满多超市", address="河南省洛阳市中州路18号")
    b = RetailerFactory(route=route_b, shop_name="福满多超市", address="河南省洛阳市中州路18号")
    duplicates_scan()
    assert pair_of(a, b) is None


def test_scan_ignores_closed_retailers_and_never_adds_a_pair_twice(twins):
    _a, b = twins
    assert duplicates_scan() == 1
    assert duplicates_scan() == 0
    assert DuplicatePair.objects.count() == 1
    Retailer.objects.filter(pk=b.pk).update(status="closed")
    DuplicatePair.objects.all().delete()
    assert duplicates_scan() == 0


def test_dismissed_pair_stops_showing_and_is_not_found_again(twins, supervisor_a):
    a, b = twins
    duplicates_scan()
    pair = pair_of(a, b)
    assert list(duplicates_open(user=supervisor_a)) == [pair]
    duplicate_dismiss(user=supervisor_a, pair_id=pair.pk)
    assert list(duplicates_open(user=supervisor_a)) == []
    duplicates_scan()
    pair.refresh_from_db()
    assert (pair.status, pair.decided_by) == (DuplicatePair.Status.DISMISSED, supervisor_a)
    assert list(duplicates_open(user=supervisor_a)) == []
    with pytest.raises(ConflictError):
        duplicate_dismiss(user=supervisor_a, pair_id=pair.pk)


def test_open_pairs_are_scoped_to_what_the_user_may_see(twins, manager_b, manager_a):
    duplicates_scan()
    assert duplicates_open(user=manager_a).count() == 1
    assert duplicates_open(user=manager_b).count() == 0


# ---- the merge -------------------------------------------------------------------------------------------------


def test_merge_moves_orders_and_rebuilds_both_summaries(merged_world, supervisor_a):
    survivor, duplicate = merged_world
    retailer_merge(user=supervisor_a, survivor_id=survivor.pk, duplicate_id=duplicate.pk)
    assert set(Order.objects.values_list("order_no", "retailer_id")) == {
        ("DD1", survivor.pk),
        ("DD2", survivor.pk),
        ("DD3", survivor.pk),
    }
    assert not RetailerPeriodSummary.objects.filter(retailer=duplicate).exists()
    march = RetailerPeriodSummary.objects.get(
        retailer=survivor, period="month", period_start=datetime.date(2025, 3, 1)
    )
    assert (march.order_count, march.cartons) == (2, 5)
    assert RetailerPeriodSummary.objects.filter(retailer=survivor, period="month").count() == 2
    assert_summaries_equal_rebuild()


def test_merge_closes_the_duplicate_fills_blanks_and_keeps_the_survivors_values(merged_world, supervisor_a):
    survivor, duplicate = merged_world
    kept = retailer_merge(user=supervisor_a, survivor_id=survivor.pk, duplicate_id=duplicate.pk)
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert kept.pk == survivor.pk
    assert (duplicate.status, duplicate.merged_into_id) == (Retailer.Status.CLOSED, survivor.pk)
    # blanks taken from the duplicate
    assert survivor.email == "zhoujia@example.com"
    assert (survivor.latitude, survivor.longitude) == (Decimal("34.682000"), Decimal("112.454000"))
    assert survivor.shop_area_m2 == 35
    # the survivor's own values win
    assert survivor.tier == 10
    assert survivor.shop_name == "老城甲号便利店"
    assert survivor.owner_id_number == "410302198001010019"
    assert survivor.status == Retailer.Status.ACTIVE
    # consent proof moves with the shop
    assert ConsentEvent.objects.filter(retailer=survivor, source="纸质授权书").exists()


def test_merge_keeps_both_histories(merged_world, supervisor_a):
    survivor, duplicate = merged_world
    before = {
        r.pk: set(RetailerEvent.objects.filter(pgh_obj_id=r.pk).values_list("pgh_id", flat=True))
        for r in (survivor, duplicate)
    }
    assert all(before.values())
    retailer_merge(user=supervisor_a, survivor_id=survivor.pk, duplicate_id=duplicate.pk)
    for retailer in (survivor, duplicate):
        after = set(RetailerEvent.objects.filter(pgh_obj_id=retailer.pk).values_list("pgh_id", flat=True))
        assert before[retailer.pk] < after  # nothing lost, the merge itself recorded
    last = RetailerEvent.objects.filter(pgh_obj_id=duplicate.pk).order_by("-pgh_id").first()
    assert (last.status, last.merged_into_id) == ("closed", survivor.pk)


def test_merge_marks_the_pair_and_every_other_open_pair_of_the_duplicate_merged(twins, supervisor_a, route_a):
    survivor, duplicate = twins
    third = RetailerFactory(route=route_a, mobile=survivor.mobile)  # the same phone again
    duplicates_scan()
    pair = pair_of(survivor, duplicate)
    other = pair_of(duplicate, third)
    untouched = pair_of(survivor, third)
    retailer_merge(user=supervisor_a, survivor_id=survivor.pk, duplicate_id=duplicate.pk, pair_id=pair.pk)
    for p in (pair, other, untouched):
        p.refresh_from_db()
    assert (pair.status, pair.decided_by) == (DuplicatePair.Status.MERGED, supervisor_a)
    assert other.status == DuplicatePair.Status.MERGED
    assert untouched.status == DuplicatePair.Status.OPEN
    assert list(duplicates_open(user=supervisor_a)) == [untouched]


def test_merge_refuses_bad_requests_and_changes_nothing(twins, supervisor_a, route_a):
    survivor, duplicate = twins
    third = RetailerFactory(route=route_a)
    duplicates_scan()
    pair = pair_of(survivor, duplicate)
    with pytest.raises(ValidationError):
        retailer_merge(user=supervisor_a, survivor_id=survivor.pk, duplicate_id=survivor.pk)
    with pytest.raises(ValidationError):  # not the pair's records
        retailer_merge(user=supervisor_a, survivor_id=survivor.pk, duplicate_id=third.pk, pair_id=pair.pk)
    retailer_merge(user=supervisor_a, survivor_id=survivor.pk, duplicate_id=duplicate.pk)
    with pytest.raises(ConflictError):
        retailer_merge(user=supervisor_a, survivor_id=third.pk, duplicate_id=duplicate.pk)
    third.refresh_from_db()
    assert third.status == Retailer.Status.ACTIVE


def test_a_manager_cannot_merge_another_managers_retailer(twins, retailer_b, manager_a):
    survivor, _duplicate = twins
    with pytest.raises(Http404):
        retailer_merge(user=manager_a, survivor_id=survivor.pk, duplicate_id=retailer_b.pk)
    retailer_b.refresh_from_db()
    assert retailer_b.merged_into_id is None


def test_merge_through_the_page_answers_404_outside_the_territory(
    retailer_a, retailer_b, manager_a, manager_b, client_for
):
    Retailer.objects.filter(pk=retailer_b.pk).update(mobile=retailer_a.mobile)  # same phone across counties
    duplicates_scan()
    pair = pair_of(retailer_a, retailer_b)
    assert pair is not None
    for user in (manager_a, manager_b):
        response = client_for(user).post(
            f"/retailers/duplicates/{pair.pk}/",
            {"action": "merge", "survivor": retailer_a.pk, "duplicate": retailer_b.pk},
        )
        assert response.status_code == 404
        response = client_for(user).post(f"/retailers/duplicates/{pair.pk}/", {"action": "dismiss"})
        assert response.status_code == 404
    retailer_b.refresh_from_db()
    assert (retailer_b.status, retailer_b.merged_into_id) == ("active", None)
    pair.refresh_from_db()
    assert pair.status == DuplicatePair.Status.OPEN


def test_merge_and_dismiss_through_the_quality_page(twins, supervisor_a, client_for, route_a):
    survivor, duplicate = twins
    other = RetailerFactory(route=route_a, shop_name="另一家店", mobile="13912340000")
    other2 = RetailerFactory(route=route_a, shop_name="再一家店", mobile="13912340000")
    duplicates_scan()
    client = client_for(supervisor_a)
    page = client.get("/retailers/quality/")
    assert page.status_code == 200
    assert "老城甲号便利店（分店）" in page.content.decode()
    pair = pair_of(survivor, duplicate)
    response = client.post(
        f"/retailers/duplicates/{pair.pk}/",
        {"action": "merge", "survivor": survivor.pk, "duplicate": duplicate.pk},
        follow=True,
    )
    assert "已合并到 老城甲号便利店" in response.content.decode()
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == survivor.pk
    second = pair_of(other, other2)
    response = client.post(f"/retailers/duplicates/{second.pk}/", {"action": "dismiss"}, follow=True)
    assert "不是重复" in response.content.decode()
    second.refresh_from_db()
    assert second.status == DuplicatePair.Status.DISMISSED
    # a second click on a decided pair is a message, not an error page
    response = client.post(f"/retailers/duplicates/{second.pk}/", {"action": "dismiss"}, follow=True)
    assert response.status_code == 200
    assert "已处理过" in response.content.decode()


def test_a_customer_manager_may_merge_within_their_own_route(twins, manager_a):
    survivor, duplicate = twins
    retailer_merge(user=manager_a, survivor_id=survivor.pk, duplicate_id=duplicate.pk)
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == survivor.pk


def test_the_scan_pairs_near_duplicates_across_departments_of_one_county(route_a, county_a):
    # the same name and address in two departments of one county: a pair for someone to look at (a licence
    # office's file lands in the mapped department, the shop may already be in another one)
    dept2 = DepartmentFactory(name="老城营销二部", parent=county_a)
    route2 = RouteFactory(org_unit=dept2)
    a = RetailerFactory(route=route_a, shop_name="福满多超市", address="河南省洛阳市老城区中州路18号")
    b = RetailerFactory(route=route2, shop_name="福满多超市", address="河南省洛阳市老城区中州路18号")
    duplicates_scan()
    assert pair_of(a, b) is not None
