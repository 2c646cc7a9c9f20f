"""The segment pages: list, builder (live preview, redraws, save with errors beside the rule), detail with members,
archive; another territory's segment answers 404."""

import pytest
from django.urls import reverse

from segmentation.segments.models import Segment
from segmentation.segments.services import segment_create

TIER_20 = {"field": "tier", "operator": "gte", "value": 20}


@pytest.fixture
def county_segment(shops, supervisor_a, county_a):
    return segment_create(
        user=supervisor_a, name="老城高档位", org_unit=county_a, definition={"op": "and", "rules": [TIER_20]}
    )


def builder_post(**extra) -> dict:
    """A builder form: root AND, rule 1 tier ≥ 20, rule 2 a group (OR) holding lifecycle in at_risk."""
    data = {
        "name": "新分群",
        "description": "",
        "op_r": "and",
        "node": ["1", "2", "2.1"],
        "kind_1": "rule",
        "field_1": "tier",
        "operator_1": "gte",
        "value_1": "20",
        "shown_1": "tier:gte",
        "kind_2": "group",
        "op_2": "or",
        "kind_2.1": "rule",
        "field_2.1": "lifecycle",
        "operator_2.1": "in",
        "value_2.1": ["at_risk"],
        "shown_2.1": "lifecycle:in",
    }
    data.update(extra)
    return data


def test_the_menu_and_list_show_the_users_segments(county_segment, supervisor_a, manager_b, client_for):
    html = client_for(supervisor_a).get(reverse("segmentation:segment-list")).content.decode()
    assert reverse("segmentation:segment-list") in html  # the menu entry
    assert "老城高档位" in html
    assert "档位 ≥ 20" in html
    assert (
        "老城高档位" not in client_for(manager_b).get(reverse("segmentation:segment-list")).content.decode()
    )
    searched = (
        client_for(supervisor_a).get(reverse("segmentation:segment-list"), {"q": "流失"}).content.decode()
    )
    assert "老城高档位" not in searched


def test_the_preview_counts_and_lists_members_with_masked_phones(shops, supervisor_a, county_a, client_for):
    response = client_for(supervisor_a).post(
        reverse("segmentation:segment-builder"), builder_post(org_unit=county_a.pk)
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Retarget" not in response  # a value change redraws only the preview
    assert "共 1 家" in html
    assert "老城一号便利店" in html
    assert shops[0].mobile not in html
    assert f"{shops[0].mobile[:3]}****{shops[0].mobile[-4:]}" in html
    assert "档位 ≥ 20，且 生命周期 为 流失风险" in html


def test_the_preview_puts_each_error_beside_its_rule(shops, supervisor_a, client_for):
    html = (
        client_for(supervisor_a)
        .post(reverse("segmentation:segment-builder"), builder_post(value_1="99"))
        .content.decode()
    )
    assert 'id="rule-errors-1" class="seg-errors" hx-swap-oob="true"' in html
    assert "规则 1：档位：应在 1 到 30 之间" in html
    assert 'id="rule-errors-2-1" class="seg-errors" hx-swap-oob="true"></div>' in html


def test_buttons_and_a_new_field_redraw_the_builder(shops, supervisor_a, client_for):
    client = client_for(supervisor_a)
    url = reverse("segmentation:segment-builder")
    added = client.post(url, builder_post(action="add_rule:2"))
    assert added["HX-Retarget"] == "#segment-builder"
    assert 'data-path="2.2"' in added.content.decode()
    removed = client.post(url, builder_post(action="remove:2")).content.decode()
    assert 'data-path="2.1"' not in removed
    # rule 1 switched to a purchase field: its inputs are redrawn with that field's operators and a 90-day window
    switched = client.post(url, builder_post(field_1="brand_bought"))
    html = switched.content.decode()
    assert switched["HX-Retarget"] == "#segment-builder"
    assert 'name="days_1" value="90"' in html
    assert '<option value="bought" selected>' in html


def test_saving_creates_the_segment_and_shows_its_members(shops, supervisor_a, county_a, client_for):
    client = client_for(supervisor_a)
    response = client.post(reverse("segmentation:segment-create"), builder_post(org_unit=county_a.pk))
    segment = Segment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == segment.get_absolute_url()
    assert segment.definition == {
        "op": "and",
        "rules": [
            TIER_20,
            {"op": "or", "rules": [{"field": "lifecycle", "operator": "in", "value": ["at_risk"]}]},
        ],
    }
    page = client.get(segment.get_absolute_url()).content.decode()
    assert "档位 ≥ 20，且 生命周期 为 流失风险" in page
    assert shops[0].get_absolute_url() in page  # the member links to its portrait
    assert shops[1].get_absolute_url() not in page
    assert client.get(reverse("segmentation:segment-count", args=[segment.pk])).content.decode() == "共 1 家"


def test_saving_with_errors_shows_them_beside_the_rule_and_saves_nothing(
    shops, supervisor_a, county_a, client_for
):
    response = client_for(supervisor_a).post(
        reverse("segmentation:segment-create"), builder_post(org_unit=county_a.pk, value_1="99", name="")
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert (
        '<div id="rule-errors-1" class="seg-errors"><div class="invalid-feedback d-block">规则 1：档位：应在 1 到 30 之间'
        in html
    )
    assert 'value="99"' in html  # what the user typed stays
    assert "该字段是必填项。" in html
    assert not Segment.objects.exists()


def test_a_manager_cannot_save_a_segment_for_another_org_unit(shops, manager_a, dept_b, client_for):
    response = client_for(manager_a).post(
        reverse("segmentation:segment-create"), builder_post(org_unit=dept_b.pk)
    )
    assert response.status_code == 400
    assert not Segment.objects.exists()


def test_another_territorys_segment_is_404(county_segment, manager_b, client_for):
    client = client_for(manager_b)
    for name in ("segment-detail", "segment-update", "segment-count"):
        assert client.get(reverse(f"segmentation:{name}", args=[county_segment.pk])).status_code == 404
    assert client.post(reverse("segmentation:segment-archive", args=[county_segment.pk])).status_code == 404


def test_edit_and_archive(county_segment, supervisor_a, county_a, client_for):
    client = client_for(supervisor_a)
    edit = client.get(reverse("segmentation:segment-update", args=[county_segment.pk])).content.decode()
    assert 'value="老城高档位"' in edit
    assert 'name="value_1" value="20"' in edit
    response = client.post(
        reverse("segmentation:segment-update", args=[county_segment.pk]),
        builder_post(org_unit=county_a.pk, name="改名"),
    )
    assert response.status_code == 302
    county_segment.refresh_from_db()
    assert county_segment.name == "改名"
    assert client.post(reverse("segmentation:segment-archive", args=[county_segment.pk])).status_code == 302
    county_segment.refresh_from_db()
    assert county_segment.is_archived


def test_members_page_through_by_keyset(county_segment, shops, supervisor_a, client_for, monkeypatch):
    from segmentation.segments import views as segment_views

    monkeypatch.setattr(segment_views, "MEMBER_PAGE_SIZE", 1)
    s1, s2 = shops[0], shops[1]
    client = client_for(supervisor_a)
    first = client.get(county_segment.get_absolute_url()).content.decode()
    assert s2.shop_name in first
    assert s1.shop_name not in first
    assert f'id="next-page" href="?after={s2.pk}"' in first
    second = client.get(
        county_segment.get_absolute_url(), {"after": s2.pk}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert s1.shop_name in second
    assert 'id="next-page"' not in second
    assert "<html" not in second  # htmx gets the member list alone


def test_admin_lists_and_saves_through_the_service(county_segment, company_admin, client_for):
    client = client_for(company_admin)
    assert client.get(reverse("admin:segmentation_segment_changelist")).status_code == 200
    url = reverse("admin:segmentation_segment_change", args=[county_segment.pk])
    page = client.get(url)
    assert page.status_code == 200
    bad = client.post(
        url,
        {
            "name": "后台改",
            "description": "",
            "org_unit": county_segment.org_unit_id,
            "definition": '{"op": "and", "rules": [{"field": "xyz", "operator": "in", "value": []}]}',
        },
    )
    assert bad.status_code == 200
    assert "规则 1：未知字段 xyz" in bad.content.decode()
    good = client.post(
        url,
        {
            "name": "后台改",
            "description": "",
            "org_unit": county_segment.org_unit_id,
            "definition": '{"op": "and", "rules": []}',
        },
    )
    assert good.status_code == 302
    county_segment.refresh_from_db()
    assert (county_segment.name, county_segment.updated_by) == ("后台改", company_admin)
