"""Saved segments: the services (who may create and change what, validation that changes nothing) and the
selectors (exact members, scoping, preview)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from core.errors import ConflictError
from segmentation.segments.models import Segment
from segmentation.segments.selectors import (
    segment_get,
    segment_list,
    segment_member_count,
    segment_members,
    segment_members_for_user,
    segment_preview,
)
from segmentation.segments.services import segment_archive, segment_create, segment_update
from tests.users.factories import ManagerFactory, SupervisorFactory

AT_RISK_OR_LOST = {"field": "lifecycle", "operator": "in", "value": ["at_risk", "lost"]}
TIER_20 = {"field": "tier", "operator": "gte", "value": 20}
EVERYONE = {"op": "and", "rules": []}


def names(retailers) -> set[str]:
    return {r.shop_name for r in retailers}


@pytest.fixture
def company_segment(shops, company_admin, company):
    return segment_create(
        user=company_admin, name="高档位", org_unit=company, definition={"op": "and", "rules": [TIER_20]}
    )


def test_members_are_every_match_inside_the_org_units_subtree(shops, supervisor_a, county_a, company_segment):
    segment = segment_create(
        user=supervisor_a,
        name="流失预警",
        org_unit=county_a,
        definition={"op": "or", "rules": [AT_RISK_OR_LOST, TIER_20]},
        description="  需要回访  ",
    )
    assert (segment.created_by, segment.updated_by, segment.description) == (
        supervisor_a,
        supervisor_a,
        "需要回访",
    )
    assert names(segment_members(segment=segment)) == {"老城一号便利店", "老城二号食杂店"}
    assert names(segment_members(segment=company_segment)) == {
        "老城一号便利店",
        "老城二号食杂店",
        "涧西五号便利店",
    }


def test_members_for_a_user_are_those_the_user_may_see(
    shops, company_segment, manager_a, manager_b, supervisor_a
):
    assert names(segment_members_for_user(user=manager_a, segment=company_segment)) == {
        "老城一号便利店",
        "老城二号食杂店",
    }
    assert names(segment_members_for_user(user=manager_b, segment=company_segment)) == {"涧西五号便利店"}
    assert segment_member_count(user=supervisor_a, segment=company_segment) == (2, False)


def test_merged_retailers_are_never_members(shops, company_segment):
    from accounts.models import Retailer

    s1, s2 = shops[0], shops[1]
    Retailer.objects.filter(pk=s1.pk).update(merged_into=s2)
    assert "老城一号便利店" not in names(segment_members(segment=company_segment))


def test_another_territorys_segment_is_404(shops, supervisor_a, manager_b, county_a, company_segment):
    segment = segment_create(user=supervisor_a, name="老城", org_unit=county_a, definition=EVERYONE)
    with pytest.raises(Http404):
        segment_get(user=manager_b, segment_id=segment.pk)
    assert segment_members_for_user(user=manager_b, segment=segment).count() == 0
    # a company-wide segment covers everyone's territory: both see it
    assert segment_get(user=manager_b, segment_id=company_segment.pk) == company_segment
    assert set(segment_list(user=supervisor_a)) == {segment, company_segment}
    assert list(segment_list(user=manager_b)) == [company_segment]


def test_a_manager_creates_only_within_their_own_org_unit(shops, manager_a, dept_a, dept_b, county_a):
    for unit in (dept_b, county_a):
        with pytest.raises(ValidationError) as caught:
            segment_create(user=manager_a, name="越权", org_unit=unit, definition=EVERYONE)
        assert caught.value.message_dict == {"org_unit": ["只能为本单位或下级单位建立分群。"]}
    assert not Segment.objects.exists()
    segment = segment_create(user=manager_a, name="我的客户", definition=EVERYONE)
    assert segment.org_unit == dept_a


def test_a_supervisor_creates_within_their_county_and_the_admin_anywhere(
    shops, supervisor_a, company_admin, dept_a, dept_b
):
    assert segment_create(user=supervisor_a, name="一部", org_unit=dept_a, definition=EVERYONE).pk
    with pytest.raises(ValidationError):
        segment_create(user=supervisor_a, name="涧西", org_unit=dept_b, definition=EVERYONE)
    assert segment_create(user=company_admin, name="涧西", org_unit=dept_b, definition=EVERYONE).pk


def test_without_the_permission_nobody_creates(shops, integration_user):
    with pytest.raises(PermissionDenied):
        segment_create(user=integration_user, name="对接", definition=EVERYONE)


def test_every_error_at_once_and_nothing_saved(shops, supervisor_a, county_a):
    with pytest.raises(ValidationError) as caught:
        segment_create(
            user=supervisor_a,
            name="",
            org_unit=county_a,
            definition={"op": "and", "rules": [TIER_20, {"field": "xyz", "operator": "in", "value": []}]},
        )
    assert caught.value.message_dict == {"name": ["此字段不能为空。"], "definition": ["规则 2：未知字段 xyz"]}
    assert not Segment.objects.exists()


def test_a_rule_naming_another_territorys_route_is_refused(shops, supervisor_a, county_a, route_b):
    with pytest.raises(ValidationError) as caught:
        segment_create(
            user=supervisor_a,
            name="别人的线路",
            org_unit=county_a,
            definition={"op": "and", "rules": [{"field": "route", "operator": "in", "value": [route_b.pk]}]},
        )
    assert caught.value.message_dict == {"definition": [f"规则 1：服务线路：无效的选项：{route_b.pk}"]}


def test_names_are_unique_per_org_unit_until_archived(shops, supervisor_a, county_a, dept_a):
    first = segment_create(user=supervisor_a, name="高档位", org_unit=county_a, definition=EVERYONE)
    with pytest.raises(ValidationError) as caught:
        segment_create(user=supervisor_a, name="高档位", org_unit=county_a, definition=EVERYONE)
    assert list(caught.value.message_dict) == ["__all__"]
    assert segment_create(user=supervisor_a, name="高档位", org_unit=dept_a, definition=EVERYONE).pk
    segment_archive(user=supervisor_a, segment=first)
    assert segment_create(user=supervisor_a, name="高档位", org_unit=county_a, definition=EVERYONE).pk
    assert list(segment_list(user=supervisor_a, filters={"archived": True})) == [first]


def test_an_update_with_errors_changes_nothing(shops, supervisor_a, county_a):
    segment = segment_create(
        user=supervisor_a, name="高档位", org_unit=county_a, definition={"op": "and", "rules": [TIER_20]}
    )
    with pytest.raises(ValidationError):
        segment_update(
            user=supervisor_a,
            segment=segment,
            name="改名",
            definition={"op": "and", "rules": [{"field": "tier", "operator": "gte", "value": 99}]},
        )
    segment.refresh_from_db()
    assert (segment.name, segment.definition["rules"][0]["value"]) == ("高档位", 20)
    updated = segment_update(
        user=supervisor_a, segment=segment, name="改名", definition={"op": "and", "rules": [AT_RISK_OR_LOST]}
    )
    assert names(segment_members(segment=updated)) == {"老城一号便利店", "老城二号食杂店"}
    segment.refresh_from_db()
    assert segment.name == "改名"


def test_who_may_change_a_segment(shops, supervisor_a, manager_a, dept_a, county_a):
    other_manager = ManagerFactory(org_unit=dept_a)
    mine = segment_create(user=manager_a, name="我的", definition=EVERYONE)
    with pytest.raises(PermissionDenied):
        segment_update(user=other_manager, segment=mine, name="抢")
    assert segment_update(user=supervisor_a, segment=mine, name="主管改").name == "主管改"
    county_wide = segment_create(user=supervisor_a, name="县局", org_unit=county_a, definition=EVERYONE)
    with pytest.raises(PermissionDenied):
        segment_archive(user=manager_a, segment=county_wide)
    other_supervisor = SupervisorFactory(org_unit=dept_a)
    with pytest.raises(PermissionDenied):
        segment_archive(user=other_supervisor, segment=county_wide)


def test_an_archived_segment_is_read_only(shops, supervisor_a, county_a):
    segment = segment_create(user=supervisor_a, name="旧", org_unit=county_a, definition=EVERYONE)
    assert segment_archive(user=supervisor_a, segment=segment).is_archived
    assert segment_archive(user=supervisor_a, segment=segment).is_archived  # again: nothing changes
    with pytest.raises(ConflictError):
        segment_update(user=supervisor_a, segment=segment, name="新")


def test_preview_counts_and_samples_what_the_user_may_see(shops, supervisor_a, manager_b, county_a, county_b):
    preview = segment_preview(user=supervisor_a, definition={"op": "and", "rules": [TIER_20]})
    assert (preview.count, preview.capped) == (2, False)
    assert [r.shop_name for r in preview.sample] == ["老城二号食杂店", "老城一号便利店"]  # newest first
    assert segment_preview(user=manager_b, definition={"op": "and", "rules": [TIER_20]}).count == 1
    with pytest.raises(ValidationError) as caught:
        segment_preview(user=supervisor_a, definition=EVERYONE, org_unit=county_b)
    assert caught.value.message_dict == {"org_unit": ["无权使用此单位。"]}
    with pytest.raises(ValidationError) as caught:
        segment_preview(user=supervisor_a, definition={"op": "and", "rules": [{"field": "tier"}]})
    assert caught.value.messages == ["规则 1：字段“档位”不支持运算符 —"]


def test_weekly_measures_read_only_the_territorys_rows_and_still_count_no_purchase_as_zero(
    shops, supervisor_a, county_a, company_admin, company
):
    few = {"field": "cartons_weeks", "operator": "lt", "value": {"weeks": 4, "value": 20}}
    many = {"field": "cartons_weeks", "operator": "gte", "value": {"weeks": 4, "value": 10}}
    county = segment_create(
        user=supervisor_a, name="少", org_unit=county_a, definition={"op": "and", "rules": [few]}
    )
    assert names(segment_members(segment=county)) == {"老城一号便利店", "老城二号食杂店", "老城三号超市"}
    everyone = segment_create(
        user=company_admin, name="多", org_unit=company, definition={"op": "or", "rules": [many]}
    )
    assert names(segment_members(segment=everyone)) == {"老城一号便利店", "涧西四号烟酒店"}
