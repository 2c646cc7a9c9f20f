"""Triggered journeys: the holiday calendar over many years (lunar dates from the `holidays` package), and each
journey finding the right recipients on the right day, once."""

import datetime
import zoneinfo

import holidays
import pytest
from django.core.exceptions import ValidationError

from campaigns.calendar import (
    DRAGON_BOAT,
    LANTERN,
    MID_AUTUMN,
    NATIONAL_DAY,
    SPRING_FESTIVAL,
    holiday_dates,
    holidays_on,
)
from campaigns.models import Campaign, Delivery, Journey, Purpose
from campaigns.services.journeys import journey_update, journeys_ensure, journeys_run_due
from segmentation.scoring.models import ScoringEvent, ScoringRun
from tests.accounts.factories import RetailerFactory
from tests.campaigns.factories import TemplateFactory, sms_body
from tests.sales.factories import OrderFactory, ProductFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

# Published dates (国务院办公厅 holiday notices and the lunar calendar), written out to check the computation.
KNOWN = {
    2024: {SPRING_FESTIVAL: (2, 10), LANTERN: (2, 24), DRAGON_BOAT: (6, 10), MID_AUTUMN: (9, 17)},
    2025: {SPRING_FESTIVAL: (1, 29), LANTERN: (2, 12), DRAGON_BOAT: (5, 31), MID_AUTUMN: (10, 6)},
    2026: {SPRING_FESTIVAL: (2, 17), LANTERN: (3, 3), DRAGON_BOAT: (6, 19), MID_AUTUMN: (9, 25)},
    2027: {SPRING_FESTIVAL: (2, 6), LANTERN: (2, 20), DRAGON_BOAT: (6, 9), MID_AUTUMN: (9, 15)},
    2028: {SPRING_FESTIVAL: (1, 26), LANTERN: (2, 9), DRAGON_BOAT: (5, 28), MID_AUTUMN: (10, 3)},
    2030: {SPRING_FESTIVAL: (2, 3), LANTERN: (2, 17), DRAGON_BOAT: (6, 5), MID_AUTUMN: (9, 12)},
}


@pytest.mark.parametrize("year", sorted(KNOWN))
def test_holiday_dates_match_the_published_calendar(year):
    dates = holiday_dates(year)
    for key, (month, day) in KNOWN[year].items():
        assert dates[key] == datetime.date(year, month, day), key
    assert dates[NATIONAL_DAY] == datetime.date(year, 10, 1)


@pytest.mark.parametrize("year", range(2020, 2036))
def test_lunar_holidays_agree_with_the_official_public_holidays(year):
    official = holidays.China(years=year, language="en_US")
    names = {}
    for day, joined in sorted(official.items()):
        for name in joined.split("; "):  # two holidays on one day (Mid-Autumn on National Day in 2020)
            names.setdefault(name, day)  # the first day of a holiday of several
    dates = holiday_dates(year)
    assert dates[SPRING_FESTIVAL] == names["Chinese New Year (Spring Festival)"]
    assert dates[DRAGON_BOAT] == names["Dragon Boat Festival"]
    assert dates[MID_AUTUMN] == names["Mid-Autumn Festival"]
    assert (dates[LANTERN] - dates[SPRING_FESTIVAL]).days == 14


def test_holidays_on_a_day_and_only_the_wanted_ones():
    assert holidays_on(datetime.date(2026, 9, 25)) == [MID_AUTUMN]
    assert holidays_on(datetime.date(2026, 9, 25), wanted=[NATIONAL_DAY]) == []
    assert holidays_on(datetime.date(2026, 9, 26)) == []


# ---- journeys -----------------------------------------------------------------------------------------------------
def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


@pytest.fixture
def journey_of(county_a, supervisor_a):
    def make(kind, channel="sms", **params):
        journeys_ensure(org_unit=county_a)
        journey = Journey.objects.get(org_unit=county_a, kind=kind)
        template = TemplateFactory(
            org_unit=county_a,
            created_by=supervisor_a,
            body=sms_body("{{ holiday }}{{ product }}{{ substitute }}"),
        )
        data = {"enabled": True, "template": template}
        if params:
            data["params"] = params
        return journey_update(actor=supervisor_a, journey=journey, data=data)

    return make


def recipients(journey):
    return set(Delivery.objects.filter(campaign__journey=journey).values_list("retailer_id", flat=True))


def test_birthday_greetings_reach_the_owners_born_on_that_day_once(journey_of, route_a):
    day = datetime.date(2026, 5, 20)
    born_today = RetailerFactory(route=route_a, owner_birthday=datetime.date(1980, 5, 20))
    RetailerFactory(route=route_a, owner_birthday=datetime.date(1980, 5, 21))
    journey = journey_of(Journey.Kind.BIRTHDAY)

    started = journeys_run_due(now=at(day))
    again = journeys_run_due(now=at(day, 15))

    assert [c.occurrence_key for c in started] == ["2026-05-20"]
    assert again == []
    assert recipients(journey) == {born_today.pk}
    occurrence = started[0]
    assert (occurrence.state, occurrence.purpose, occurrence.journey) == ("sending", Purpose.NOTICE, journey)


def test_a_leap_day_birthday_is_greeted_on_28_february_in_other_years(journey_of, route_a):
    leap = RetailerFactory(route=route_a, owner_birthday=datetime.date(1980, 2, 29))
    journey = journey_of(Journey.Kind.BIRTHDAY)
    journeys_run_due(now=at(datetime.date(2027, 2, 28)))
    assert recipients(journey) == {leap.pk}


def test_a_journey_waits_for_its_send_time_and_catches_up_missed_days(journey_of, route_a):
    journey = journey_of(Journey.Kind.BIRTHDAY)
    early = RetailerFactory(route=route_a, owner_birthday=datetime.date(1975, 5, 18))
    RetailerFactory(route=route_a, owner_birthday=datetime.date(1975, 5, 20))
    Journey.objects.filter(pk=journey.pk).update(last_run_on=datetime.date(2026, 5, 17))

    assert journeys_run_due(now=at(datetime.date(2026, 5, 20), hour=8)) == []  # before 09:00
    started = journeys_run_due(now=at(datetime.date(2026, 5, 20)))

    assert sorted(c.occurrence_key for c in started) == ["2026-05-18", "2026-05-20"]
    assert early.pk in recipients(journey)


def test_holiday_greetings_go_out_on_mid_autumn_with_the_holidays_name(journey_of, route_a, retailer_a):
    journey = journey_of(Journey.Kind.HOLIDAY, holidays=[MID_AUTUMN, SPRING_FESTIVAL])

    assert journeys_run_due(now=at(datetime.date(2026, 9, 24))) == []
    Journey.objects.filter(pk=journey.pk).update(last_run_on=None)
    [occurrence] = journeys_run_due(now=at(datetime.date(2026, 9, 25)))

    assert occurrence.occurrence_key == "2026-09-25:mid_autumn"
    assert occurrence.context == {"holiday": "中秋节"}
    assert retailer_a.pk in recipients(journey)


def test_a_holiday_not_chosen_is_not_greeted(journey_of, retailer_a):
    journey_of(Journey.Kind.HOLIDAY, holidays=[SPRING_FESTIVAL])
    assert journeys_run_due(now=at(datetime.date(2026, 10, 1))) == []


def test_licence_reminders_go_90_60_and_30_days_before_expiry(journey_of, route_a):
    day = datetime.date(2026, 6, 1)
    issued = datetime.date(2022, 6, 1)
    in_30 = RetailerFactory(
        route=route_a, licence_issued_on=issued, licence_expires_on=day + datetime.timedelta(days=30)
    )
    in_90 = RetailerFactory(
        route=route_a, licence_issued_on=issued, licence_expires_on=day + datetime.timedelta(days=90)
    )
    RetailerFactory(
        route=route_a, licence_issued_on=issued, licence_expires_on=day + datetime.timedelta(days=31)
    )
    journey = journey_of(Journey.Kind.LICENCE_EXPIRY)

    started = journeys_run_due(now=at(day))

    assert sorted(c.occurrence_key for c in started) == ["2026-06-01:30", "2026-06-01:90"]
    assert recipients(journey) == {in_30.pk, in_90.pk}
    assert {c.purpose for c in started} == {Purpose.NOTICE}


def test_welcome_reaches_retailers_created_since_the_previous_run(journey_of, route_a):
    day = datetime.date(2026, 6, 2)
    new = RetailerFactory(route=route_a)
    older = RetailerFactory(route=route_a)
    from accounts.models import Retailer

    Retailer.objects.filter(pk=new.pk).update(created_at=at(day, 7))
    Retailer.objects.filter(pk=older.pk).update(created_at=at(day - datetime.timedelta(days=3)))
    journey = journey_of(Journey.Kind.WELCOME)

    journeys_run_due(now=at(day))

    assert recipients(journey) == {new.pk}


def test_win_back_follows_the_lifecycle_becoming_lost(journey_of, route_a):
    day = datetime.date(2026, 6, 2)
    lost, at_risk = RetailerFactory(route=route_a), RetailerFactory(route=route_a)
    run = ScoringRun.objects.create(status=ScoringRun.Status.DONE)
    ScoringEvent.objects.create(retailer=lost, run=run, kind=ScoringEvent.Kind.BECAME_LOST, at=at(day, 2))
    ScoringEvent.objects.create(
        retailer=at_risk, run=run, kind=ScoringEvent.Kind.BECAME_AT_RISK, at=at(day, 2)
    )
    journey = journey_of(Journey.Kind.WIN_BACK)

    [occurrence] = journeys_run_due(now=at(day))

    assert recipients(journey) == {lost.pk}
    assert occurrence.purpose == Purpose.MARKETING


@pytest.mark.usefixtures("default_bands")
def test_a_withdrawn_product_notice_names_the_substitute_to_its_recent_buyers(journey_of, route_a):
    day = datetime.date(2026, 6, 2)
    substitute = ProductFactory(
        code="6901028000002",
        brand="黄金叶",
        name="天叶",
        wholesale_price_fen=9000,
        retail_price_fen=11000,
    )
    old = ProductFactory(
        code="6901028000001",
        brand="黄金叶",
        name="老规格",
        wholesale_price_fen=9000,
        retail_price_fen=11000,
    )
    recent, long_ago, never = (RetailerFactory(route=route_a) for _ in range(3))
    for n, (retailer, ordered_on) in enumerate(
        [(recent, day - datetime.timedelta(days=20)), (long_ago, day - datetime.timedelta(days=200))]
    ):
        OrderFactory(
            order_no=f"J{n}",
            retailer=retailer,
            ordered_on=ordered_on,
            lines={old: 2},
            price_fen=9000,
            summaries=False,
        )
    from sales.models import Product

    Product.objects.filter(pk=old.pk).update(
        status=Product.Status.WITHDRAWN, substitute=substitute, updated_at=at(day, 8)
    )
    journey = journey_of(Journey.Kind.PRODUCT_WITHDRAWN)

    [occurrence] = journeys_run_due(now=at(day))

    assert recipients(journey) == {recent.pk}
    assert occurrence.occurrence_key == f"product:{old.pk}"
    assert occurrence.context == {
        "product": str(Product.objects.get(pk=old.pk)),
        "substitute": str(substitute),
    }
    assert list(occurrence.promoted_products.all()) == [substitute]
    assert never.pk not in recipients(journey)


def test_switched_off_journeys_do_not_run(journey_of, route_a, supervisor_a):
    RetailerFactory(route=route_a, owner_birthday=datetime.date(1980, 5, 20))
    journey = journey_of(Journey.Kind.BIRTHDAY)
    journey_update(actor=supervisor_a, journey=journey, data={"enabled": False})
    assert journeys_run_due(now=at(datetime.date(2026, 5, 20))) == []
    assert not Campaign.objects.filter(journey=journey).exists()


def test_a_journey_cannot_be_switched_on_with_a_template_of_another_channel(
    journey_of, county_a, supervisor_a
):
    journey = journey_of(Journey.Kind.BIRTHDAY)
    email = TemplateFactory(org_unit=county_a, created_by=supervisor_a, channel="email")
    with pytest.raises(ValidationError) as error:
        journey_update(actor=supervisor_a, journey=journey, data={"template": email})
    assert error.value.message_dict["template"] == ["模板的渠道与触达渠道不一致。"]


def test_licence_reminder_days_are_validated(journey_of, supervisor_a):
    journey = journey_of(Journey.Kind.LICENCE_EXPIRY)
    with pytest.raises(ValidationError):
        journey_update(actor=supervisor_a, journey=journey, data={"params": {"days": [0, "x"]}})


@pytest.mark.usefixtures("default_bands")
def test_a_new_product_is_announced_to_the_journeys_segment(journey_of, route_a, supervisor_a, county_a):
    from segmentation.segments.services import segment_create

    high = RetailerFactory(route=route_a, tier=25)
    RetailerFactory(route=route_a, tier=5)
    segment = segment_create(
        user=supervisor_a,
        name="高档位",
        org_unit=county_a,
        definition={"op": "and", "rules": [{"field": "tier", "operator": "gte", "value": 20}]},
    )
    day = datetime.date(2026, 6, 2)
    product = ProductFactory(
        code="6901028000009",
        brand="黄金叶",
        name="新品",
        wholesale_price_fen=9000,
        retail_price_fen=11000,
        status="trial",
        trial_started_on=day,
    )
    journey = journey_of(Journey.Kind.NEW_PRODUCT, segment=segment.pk)

    [occurrence] = journeys_run_due(now=at(day))

    assert recipients(journey) == {high.pk}
    assert occurrence.purpose == Purpose.MARKETING
    assert list(occurrence.promoted_products.all()) == [product]
