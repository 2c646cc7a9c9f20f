"""accounts.services: every rule retailer_create/retailer_update enforce, and that bad input changes nothing."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Retailer
from accounts.services import retailer_create, retailer_update, retailer_validate
from core.errors import ConflictError
from tests.accounts.factories import RetailerFactory, id_card_with_check, licence_for, retailer_data
from tests.users.factories import RouteFactory

TODAY = timezone.localdate


def errors_of(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as info:
        call()
    return info.value.message_dict


def create_errors(data, actor=None) -> dict[str, list[str]]:
    count = Retailer.objects.count()
    errors = errors_of(lambda: retailer_create(actor=actor, data=data))
    assert Retailer.objects.count() == count, "a rejected create must not write a row"
    return errors


def test_retailer_create_saves_a_valid_retailer_with_normalised_identifiers(route_a):
    data = retailer_data(
        route=route_a,
        licence_no="４１０３０２ 1 00077",
        mobile="+86 139-0000-1111",
        owner_id_number=id_card_with_check("41030219800101001").lower(),
        bank_account="6222 0202 0011 2233",
    )
    retailer = retailer_create(actor=None, data=data)
    retailer.refresh_from_db()
    assert retailer.licence_no == "410302100077"
    assert retailer.mobile == "13900001111"
    assert retailer.owner_id_number == "410302198001010019"
    assert retailer.bank_account == "6222020200112233"


def test_retailer_create_derives_class_code_from_market_business_format_and_scale(route_a):
    retailer = retailer_create(
        actor=None,
        data=retailer_data(route=route_a, market_type="C", business_format="Z", scale="1"),
    )
    assert retailer.class_code == "CZ1"
    retailer.refresh_from_db()
    assert retailer.class_code == "CZ1"


def test_retailer_update_rederives_class_code(retailer_a):
    updated = retailer_update(actor=None, retailer=retailer_a, data={"market_type": "X", "scale": "3"})
    updated.refresh_from_db()
    assert updated.class_code == "XB3"


def test_licence_with_a_region_code_of_no_org_unit_is_rejected(route_a):
    errors = create_errors(retailer_data(route=route_a, licence_no="110101100001"))
    assert "licence_no" in errors
    assert "110101" in errors["licence_no"][0]


def test_licence_region_code_must_match_the_retailers_county(route_a, county_b):
    # 410305 is a known region code (county B), but this retailer's department is in county A (410302).
    errors = create_errors(retailer_data(route=route_a, licence_no="410305100001"))
    assert "licence_no" in errors
    assert "410302" in errors["licence_no"][0]


def test_extra_region_codes_from_settings_are_known(route_a, settings):
    settings.CRM_EXTRA_REGION_CODES = ["410399"]
    # known now, but still not county A's code
    errors = create_errors(retailer_data(route=route_a, licence_no="410399100001"))
    assert "与所属县级局" in errors["licence_no"][0]


@pytest.mark.parametrize("holder", ["0", "3", "9"])
def test_licence_holder_digit_must_be_1_or_2(route_a, holder):
    errors = create_errors(retailer_data(route=route_a, licence_no=f"410302{holder}00001"))
    assert list(errors) == ["licence_no"]


def test_enterprise_holder_digit_2_is_accepted(route_a):
    retailer = retailer_create(actor=None, data=retailer_data(route=route_a, holder_type="2"))
    assert retailer.licence_no[6] == "2"


def test_duplicate_licence_number_is_rejected(retailer_a, route_a):
    errors = create_errors(retailer_data(route=route_a, licence_no=retailer_a.licence_no))
    assert "licence_no" in errors


def test_duplicate_licence_number_written_differently_is_rejected(retailer_a, route_a):
    spaced = f"{retailer_a.licence_no[:6]} {retailer_a.licence_no[6:]}"
    errors = create_errors(retailer_data(route=route_a, licence_no=spaced))
    assert "licence_no" in errors


def test_duplicate_customer_code_is_rejected(retailer_a, route_a):
    errors = create_errors(retailer_data(route=route_a, customer_code=retailer_a.customer_code))
    assert "customer_code" in errors


def test_licence_may_run_exactly_five_years(route_a):
    issued = datetime.date(2024, 3, 1)
    retailer = retailer_create(
        actor=None,
        data=retailer_data(
            route=route_a, licence_issued_on=issued, licence_expires_on=datetime.date(2029, 3, 1)
        ),
    )
    assert retailer.pk


def test_licence_expiring_more_than_five_years_after_issue_is_rejected(route_a):
    errors = create_errors(
        retailer_data(
            route=route_a,
            licence_issued_on=datetime.date(2024, 3, 1),
            licence_expires_on=datetime.date(2029, 3, 2),
        )
    )
    assert list(errors) == ["licence_expires_on"]


def test_licence_issued_on_29_february_may_run_to_28_february_five_years_later(route_a):
    issued = datetime.date(2024, 2, 29)
    ok = retailer_data(route=route_a, licence_issued_on=issued, licence_expires_on=datetime.date(2029, 2, 28))
    assert retailer_create(actor=None, data=ok).pk
    late = retailer_data(
        route=route_a, licence_issued_on=issued, licence_expires_on=datetime.date(2029, 3, 1)
    )
    assert "licence_expires_on" in create_errors(late)


@pytest.mark.parametrize("days_after_issue", [0, -1, -400])
def test_licence_expiring_on_or_before_issue_is_rejected(route_a, days_after_issue):
    issued = TODAY() - datetime.timedelta(days=100)
    errors = create_errors(
        retailer_data(
            route=route_a,
            licence_issued_on=issued,
            licence_expires_on=issued + datetime.timedelta(days=days_after_issue),
        )
    )
    assert list(errors) == ["licence_expires_on"]


def test_licence_issued_in_the_future_is_rejected(route_a):
    issued = TODAY() + datetime.timedelta(days=1)
    errors = create_errors(
        retailer_data(
            route=route_a, licence_issued_on=issued, licence_expires_on=issued + datetime.timedelta(days=365)
        )
    )
    assert list(errors) == ["licence_issued_on"]


@pytest.mark.parametrize("tier", [0, 31, 100])
def test_tier_outside_1_to_30_is_rejected(route_a, tier):
    errors = create_errors(retailer_data(route=route_a, tier=tier))
    assert list(errors) == ["tier"]


@pytest.mark.parametrize("tier", [1, 30, None])
def test_tier_1_to_30_or_none_is_accepted(route_a, tier):
    assert retailer_create(actor=None, data=retailer_data(route=route_a, tier=tier)).tier == tier


@pytest.mark.parametrize("mobile", ["1380013800", "010-12345678", "23800138000", "138001380001", "电话"])
def test_bad_mobile_is_rejected(route_a, mobile):
    errors = create_errors(retailer_data(route=route_a, mobile=mobile))
    assert list(errors) == ["mobile"]


def test_missing_mobile_is_rejected(route_a):
    assert "mobile" in create_errors(retailer_data(route=route_a, mobile=""))


def test_id_number_with_a_wrong_check_character_is_rejected(route_a):
    good = id_card_with_check("41030219800101001")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    errors = create_errors(retailer_data(route=route_a, owner_id_number=bad))
    assert list(errors) == ["owner_id_number"]


@pytest.mark.parametrize("account", ["62220202", "6222-0202-0011-2233", "6222ABCD00112233", "1" * 31])
def test_bad_bank_account_is_rejected(route_a, account):
    errors = create_errors(retailer_data(route=route_a, bank_account=account))
    assert list(errors) == ["bank_account"]


def test_owner_younger_than_18_is_rejected(route_a):
    birthday = TODAY() - datetime.timedelta(days=17 * 365)
    assert list(create_errors(retailer_data(route=route_a, owner_birthday=birthday))) == ["owner_birthday"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("market_type", "Q"),
        ("business_format", "X"),
        ("scale", "9"),
        ("credit_grade", "AAAA"),
        ("credit_grade", "E"),
        ("status", "deleted"),
        ("licence_status", "lost"),
        ("order_channel", "fax"),
        ("payment_method", "iou"),
        ("order_weekday", 8),
        ("order_weekday", 0),
    ],
)
def test_invalid_choice_is_rejected(route_a, field, value):
    errors = create_errors(retailer_data(route=route_a, **{field: value}))
    assert field in errors


@pytest.mark.parametrize(("field", "value"), [("latitude", 60), ("longitude", 20), ("shop_area_m2", 0)])
def test_coordinates_and_area_out_of_range_are_rejected(route_a, field, value):
    assert field in create_errors(retailer_data(route=route_a, **{field: value}))


def test_route_outside_the_chosen_department_is_rejected(route_a, dept_a, county_a):
    other_dept_route = RouteFactory(org_unit__parent=county_a)  # same county, another department
    errors = create_errors(retailer_data(route=other_dept_route, org_unit=dept_a))
    assert list(errors) == ["route"]


def test_manager_cannot_assign_a_retailer_to_another_managers_route(manager_a, route_b):
    errors = create_errors(retailer_data(route=route_b), actor=manager_a)
    assert "route" in errors
    assert "org_unit" in errors


def test_manager_cannot_move_own_retailer_to_another_managers_route(manager_a, retailer_a, route_a, dept_a):
    # a route in manager A's own department, but owned by another manager
    colleague_route = RouteFactory(org_unit=dept_a)
    errors = errors_of(
        lambda: retailer_update(actor=manager_a, retailer=retailer_a, data={"route": colleague_route})
    )
    assert list(errors) == ["route"]
    retailer_a.refresh_from_db()
    assert retailer_a.route == route_a


def test_manager_must_choose_a_route(manager_a, dept_a):
    data = retailer_data(route=None, org_unit=dept_a, licence_no=licence_for(dept_a, 12345))
    assert "route" in create_errors(data, actor=manager_a)


def test_manager_may_create_on_own_route(manager_a, route_a):
    retailer = retailer_create(actor=manager_a, data=retailer_data(route=route_a))
    assert retailer.route == route_a


def test_supervisor_cannot_place_a_retailer_outside_own_county(supervisor_a, route_b):
    errors = create_errors(retailer_data(route=route_b), actor=supervisor_a)
    assert "org_unit" in errors
    assert "route" in errors


@pytest.mark.parametrize("field", ["id", "sms_consent", "class_code", "created_at", "search_text", "nope"])
def test_create_rejects_fields_that_may_not_be_set(route_a, field):
    data = retailer_data(route=route_a)
    data[field] = True
    errors = create_errors(data)
    assert list(errors) == [field]


@pytest.mark.parametrize("field", ["id", "sms_consent", "email_consent_at", "updated_at", "nope"])
def test_update_rejects_fields_that_may_not_be_changed(retailer_a, field):
    before = Retailer.objects.values().get(pk=retailer_a.pk)
    errors = errors_of(lambda: retailer_update(actor=None, retailer=retailer_a, data={field: True}))
    assert list(errors) == [field]
    assert Retailer.objects.values().get(pk=retailer_a.pk) == before


def test_update_with_bad_input_changes_nothing(retailer_a, manager_a):
    before = Retailer.objects.values().get(pk=retailer_a.pk)
    errors = errors_of(
        lambda: retailer_update(
            actor=manager_a,
            retailer=retailer_a,
            data={"shop_name": "新店名", "tier": 31, "mobile": "12345", "licence_no": "410302300001"},
        )
    )
    assert {"tier", "mobile", "licence_no"} <= set(errors)
    assert Retailer.objects.values().get(pk=retailer_a.pk) == before


def test_create_reports_every_bad_field_at_once(route_a):
    errors = create_errors(retailer_data(route=route_a, tier=0, mobile="1", bank_account="x", scale="7"))
    assert {"tier", "mobile", "bank_account", "scale"} <= set(errors)


def test_update_with_current_timestamp_saves(retailer_a):
    updated = retailer_update(
        actor=None,
        retailer=retailer_a,
        data={"shop_area_m2": 11},
        expected_updated_at=retailer_a.updated_at,
    )
    assert updated.shop_area_m2 == 11
    assert updated.updated_at > retailer_a.updated_at


def test_update_with_stale_timestamp_raises_conflict_and_keeps_the_other_edit(retailer_a):
    seen = retailer_a.updated_at
    retailer_update(actor=None, retailer=retailer_a, data={"shop_area_m2": 12})  # someone else saves first
    with pytest.raises(ConflictError):
        retailer_update(actor=None, retailer=retailer_a, data={"shop_area_m2": 13}, expected_updated_at=seen)
    retailer_a.refresh_from_db()
    assert retailer_a.shop_area_m2 == 12


def test_update_without_changes_does_not_touch_the_row(retailer_a):
    before = Retailer.objects.values_list("updated_at", flat=True).get(pk=retailer_a.pk)
    retailer_update(actor=None, retailer=retailer_a, data={"tier": retailer_a.tier})
    assert Retailer.objects.values_list("updated_at", flat=True).get(pk=retailer_a.pk) == before


def test_retailer_validate_names_the_field_of_each_error(route_a):
    retailer = RetailerFactory.build(route=route_a, tier=31, licence_no="410302300001")
    with pytest.raises(ValidationError) as info:
        retailer_validate(retailer=retailer, actor=None)
    assert set(info.value.message_dict) == {"tier", "licence_no"}


def test_retailer_validate_passes_a_factory_built_retailer(route_a):
    retailer = RetailerFactory.build(route=route_a)
    retailer_validate(retailer=retailer, actor=None)
    assert retailer.licence_no.startswith("410302")
