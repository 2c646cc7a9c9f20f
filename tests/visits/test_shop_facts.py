"""The shop facts (visits.ShopFacts, CultivationTarget.first_bought_on) are kept by the database on every path: each
write below goes a different way (service, queryset update, bulk insert, raw SQL, delete, a merge) and after each
one the stored facts equal a fresh computation from the source rows (visits.facts.selectors, the ORM's own). The
enumeration test holds the mechanism whole: every table the facts are computed from carries the triggers for
insert, update and delete, so a write path added later is covered without anyone remembering it."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from accounts.dedupe.services import retailer_merge
from feedback.complaints.hidden.models import HiddenComplaintCall
from feedback.complaints.hidden.services import hidden_complaint_call_record
from feedback.complaints.models import Complaint
from feedback.complaints.services.intake import complaint_open
from sales.models import Order, OrderLine
from tests.accounts.factories import RetailerFactory
from tests.visits.factories import CultivationProgrammeFactory
from visits.cultivation.services import programme_targets_add
from visits.daily.selectors import daily_list
from visits.facts.selectors import shop_facts_drift
from visits.facts.services import shop_facts_rebuild
from visits.models import CultivationProgramme, CultivationTarget, ShopFacts, Visit

pytestmark = pytest.mark.django_db

SOURCE_TABLES = {
    "visits_visit",
    "feedback_complaint",
    "feedback_surveyresponse",
    "feedback_hiddencomplaintcall",
    "sales_order",
    "sales_orderline",
    "visits_cultivationtarget",
}


def _facts(retailer) -> dict:
    return ShopFacts.objects.filter(retailer=retailer).values().first() or {}


def _no_drift():
    assert shop_facts_drift() == []


def test_every_table_a_fact_is_computed_from_carries_the_triggers_for_every_kind_of_write():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT prosrc FROM pg_proc WHERE proname IN "
            "('visits_shopfacts_refresh', 'visits_cultivation_bought_refresh')"
        )
        sources = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute("""
            SELECT c.relname, t.tgtype FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            WHERE NOT t.tgisinternal AND t.tgname LIKE '%%_facts_%%'
        """)
        events: dict[str, int] = {}
        for table, tgtype in cursor.fetchall():
            events[table] = events.get(table, 0) | tgtype
    read = set(re.findall(r"(?:FROM|JOIN)\s+([a-z]+_[a-z_]+)", sources)) - {
        "visits_shopfacts",
        "accounts_retailer",
    }
    read |= {"visits_cultivationtarget"}  # updated by the function, and its own rows' moves matter
    assert read <= SOURCE_TABLES | {"visits_cultivationprogramme"}, read - SOURCE_TABLES
    insert, delete, update = 1 << 2, 1 << 3, 1 << 4  # pg_trigger.tgtype bits
    for table in SOURCE_TABLES:
        wanted = update | delete | (0 if table == "sales_order" else insert)  # an order's lines come after it
        assert events.get(table, 0) & wanted == wanted, f"{table} lacks a facts trigger"
    assert events["visits_cultivationprogramme"] & update


def test_visits_keep_the_last_visit_and_the_last_store_score_whatever_path_writes_them(
    record, manager_a, retailer_a
):
    assert _facts(retailer_a) == {}
    visit = record(manager_a, retailer_a, days_ago=3)  # the service, then a queryset update of the day
    assert _facts(retailer_a)["last_visit_on"] == timezone.localdate() - datetime.timedelta(days=3)
    Visit.objects.filter(pk=visit.pk).update(store_score=55)
    assert _facts(retailer_a)["store_score"] == 55
    newer = record(manager_a, retailer_a, days_ago=1)
    Visit.objects.filter(pk=newer.pk).update(store_score=80)
    assert (_facts(retailer_a)["last_visit_on"], _facts(retailer_a)["store_score"]) == (newer.visited_on, 80)
    # a rejected visit's score is not kept
    Visit.objects.filter(pk=newer.pk).update(trust=Visit.Trust.REJECTED, review_reason="照片不是本店")
    assert _facts(retailer_a)["store_score"] == 55
    _no_drift()
    Visit.objects.filter(pk=newer.pk).delete()
    assert _facts(retailer_a)["last_visit_on"] == visit.visited_on
    with connection.cursor() as cursor:  # raw SQL, as a sweep or a fix-up script would write
        cursor.execute("DELETE FROM visits_visit WHERE retailer_id = %s", [retailer_a.pk])
    assert (_facts(retailer_a)["last_visit_on"], _facts(retailer_a)["store_score"]) == (None, None)
    _no_drift()


def test_complaints_ratings_surveys_and_calls_keep_the_call_back_facts(
    complaint_categories, retailer_a, manager_a, company_admin
):
    case = complaint_open(retailer=retailer_a, category_code="supply", description="断货", channel="phone")
    assert _facts(retailer_a)["open_complaints"] == 1
    assert _facts(retailer_a)["last_complaint_at"] == case.opened_at
    at = timezone.now() - datetime.timedelta(days=2)
    Complaint.objects.filter(pk=case.pk).update(
        status=Complaint.Status.CLOSED, responded_at=at, resolved_at=at, closed_at=at, rating=1, rated_at=at
    )
    facts = _facts(retailer_a)
    assert (facts["open_complaints"], facts["low_rated_complaint_id"], facts["low_rating"]) == (0, case.pk, 1)
    _no_drift()
    Complaint.objects.filter(pk=case.pk).update(rating=5)  # rated again, well: no low rating left
    assert _facts(retailer_a)["low_rated_complaint_id"] is None
    call = hidden_complaint_call_record(
        retailer=retailer_a, user=company_admin, outcome="no_issue", reason="评分低"
    )
    assert _facts(retailer_a)["last_call_at"] == call.called_at
    HiddenComplaintCall.objects.filter(pk=call.pk).delete()
    assert _facts(retailer_a)["last_call_at"] is None
    _no_drift()


def test_a_cultivation_targets_first_purchase_follows_lines_orders_and_the_programme(
    place_order, products, retailer_a, county_a, company_admin
):
    today = timezone.localdate()
    start = today - datetime.timedelta(days=20)
    programme = CultivationProgrammeFactory(
        name="天叶培育",
        product=products["HJY"],
        org_unit=county_a,
        starts_on=start,
        ends_on=today + datetime.timedelta(days=20),
        goal_selling_retailers=1,
        goal_sell_through_pct=120,
        created_by=company_admin,
    )
    place_order(
        retailer_a, {"HJY": 2}, start - datetime.timedelta(days=3)
    )  # before the start: does not count
    programme_targets_add(actor=company_admin, programme=programme, retailer_ids=[retailer_a.pk])
    target = CultivationTarget.objects.get(programme=programme, retailer=retailer_a)
    assert target.first_bought_on is None
    place_order(retailer_a, {"YX": 1}, start + datetime.timedelta(days=1))  # another product
    later = place_order(retailer_a, {"HJY": 1}, start + datetime.timedelta(days=9))
    target.refresh_from_db()
    assert target.first_bought_on == start + datetime.timedelta(days=9)
    earlier = place_order(retailer_a, {"HJY": 1, "YX": 1}, start + datetime.timedelta(days=4))
    target.refresh_from_db()
    assert target.first_bought_on == start + datetime.timedelta(days=4)
    _no_drift()
    # the daily list of a day before the first purchase still asks for it; of today, no longer
    names = lambda day: [  # noqa: E731
        r.text for e in daily_list(manager=retailer_a.route.manager, today=day) for r in e.reasons
    ]
    assert any("培育品规尚未进货" in t for t in names(start + datetime.timedelta(days=2)))
    assert not any("培育品规" in t for t in names(today))
    OrderLine.objects.filter(order=earlier, product=products["HJY"]).delete()  # a corrected import
    target.refresh_from_db()
    assert target.first_bought_on == later.ordered_on
    Order.objects.filter(pk=later.pk).update(
        ordered_on=start - datetime.timedelta(days=1)
    )  # moved before start
    target.refresh_from_db()
    assert target.first_bought_on is None
    CultivationProgramme.objects.filter(pk=programme.pk).update(starts_on=start - datetime.timedelta(days=5))
    target.refresh_from_db()
    assert target.first_bought_on == start - datetime.timedelta(days=3)
    OrderLine.objects.filter(order__retailer=retailer_a).delete()
    Order.objects.filter(retailer=retailer_a).delete()
    target.refresh_from_db()
    assert target.first_bought_on is None
    _no_drift()


def test_a_merge_moves_the_facts_with_the_rows_and_the_check_and_rebuild_commands_agree(
    record, complaint_categories, manager_a, route_a, company_admin
):
    survivor = RetailerFactory(route=route_a, shop_name="合并店")
    duplicate = RetailerFactory(route=route_a, shop_name="合并店（重复）")
    record(manager_a, survivor, days_ago=9)
    visit = record(manager_a, duplicate, days_ago=2)
    complaint_open(retailer=duplicate, category_code="supply", description="断货", channel="phone")
    retailer_merge(user=company_admin, survivor_id=survivor.pk, duplicate_id=duplicate.pk)
    assert (_facts(survivor)["last_visit_on"], _facts(survivor)["open_complaints"]) == (visit.visited_on, 1)
    assert (_facts(duplicate)["last_visit_on"], _facts(duplicate)["open_complaints"]) == (None, 0)
    _no_drift()
    call_command("shop_facts", "--check")
    ShopFacts.objects.filter(retailer=survivor).update(open_complaints=7)  # drift made by hand
    with pytest.raises(CommandError, match="1"):
        call_command("shop_facts", "--check")
    assert shop_facts_rebuild()[0] >= 2
    _no_drift()


def test_a_retailer_deleted_with_its_call_backs_takes_its_facts_row_along(route_a, company_admin):
    # the demo flush deletes retailers; Django may delete the facts row before the call-backs, whose delete writes
    # the row again: the shop's own delete must still remove it (ON DELETE CASCADE in the database)
    shop = RetailerFactory(route=route_a)
    hidden_complaint_call_record(retailer=shop, user=company_admin, outcome="no_issue", reason="评分低")
    ShopFacts.objects.filter(retailer=shop).delete()
    HiddenComplaintCall.objects.filter(retailer=shop).delete()
    assert ShopFacts.objects.filter(retailer=shop).exists()  # written again by the call-backs' trigger
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_retailer WHERE id = %s", [shop.pk])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred key checks, as at commit
    assert not ShopFacts.objects.filter(retailer_id=shop.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_two_call_backs_of_one_shop_recorded_at_once_both_count(route_a, company_admin):
    """Two sessions each record a call-back of the same shop; the second one's trigger waits on the first's facts
    row. Were the second to compute before the wait, its facts would not see the first's (later) call."""
    import threading

    import psycopg2

    from tests.concurrency import wait_until_another_session_blocks

    shop = RetailerFactory(route=route_a)
    settings = connection.settings_dict
    dsn = {"dbname": settings["NAME"], "user": settings["USER"], "host": settings["HOST"]}
    dsn["port"] = settings["PORT"] or 5432
    insert = (
        "INSERT INTO feedback_hiddencomplaintcall (retailer_id, reason, outcome, note, called_by_id, called_at) "
        "VALUES (%s, '评分低', 'no_issue', '', %s, %s)"
    )
    later = timezone.now()
    earlier = later - datetime.timedelta(hours=3)
    first = psycopg2.connect(**dsn)
    try:
        with first.cursor() as cursor:  # the later call, not yet committed
            cursor.execute(insert, [shop.pk, company_admin.pk, later])

        def second_session():
            with psycopg2.connect(**dsn) as other, other.cursor() as cursor:
                cursor.execute(insert, [shop.pk, company_admin.pk, earlier])

        thread = threading.Thread(target=second_session)
        thread.start()
        wait_until_another_session_blocks()
        first.commit()
        thread.join(timeout=30)
    finally:
        first.close()
    assert ShopFacts.objects.get(retailer=shop).last_call_at == later
    _no_drift()
