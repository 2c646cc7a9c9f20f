"""A supervisor's admin reaches only their own county's programmes and shops."""

import datetime

import pytest

from tests.visits.factories import CultivationProgrammeFactory
from visits.models import CultivationTarget

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_supervisor(supervisor_a):
    supervisor_a.is_staff = True
    supervisor_a.save(update_fields=["is_staff"])
    return supervisor_a


def _programme(products, unit, user, name):
    return CultivationProgrammeFactory(
        name=name,
        product=products["HJY"],
        org_unit=unit,
        starts_on=datetime.date(2026, 11, 2),
        ends_on=datetime.date(2026, 11, 29),
        goal_selling_retailers=1,
        goal_sell_through_pct=100,
        created_by=user,
    )


def test_programme_admin_hides_and_refuses_another_countys_programme(
    client_for, staff_supervisor, company_admin, products, dept_a, dept_b
):
    mine = _programme(products, dept_a, company_admin, "老城天叶培育")
    theirs = _programme(products, dept_b, company_admin, "涧西天叶培育")
    client = client_for(staff_supervisor)
    page = client.get("/admin/visits/cultivationprogramme/").content.decode()
    assert "老城天叶培育" in page
    assert "涧西天叶培育" not in page
    assert client.get(f"/admin/visits/cultivationprogramme/{theirs.pk}/change/").status_code == 404
    client.post(
        "/admin/visits/cultivationprogramme/",
        {"action": "targets_by_rule", "_selected_action": [theirs.pk]},
    )
    assert not CultivationTarget.objects.filter(programme=theirs).exists()
    assert client.get(f"/admin/visits/cultivationprogramme/{mine.pk}/change/").status_code == 200


def test_target_admin_refuses_a_shop_of_another_territory(
    client_for, staff_supervisor, company_admin, products, dept_a, retailer_a, retailer_b
):
    mine = _programme(products, dept_a, company_admin, "老城天叶培育")
    response = client_for(staff_supervisor).post(
        "/admin/visits/cultivationtarget/add/",
        {
            "programme": mine.pk,
            "retailer": retailer_b.pk,
            "source": "hand",
            "added_at_0": "2026-11-03",
            "added_at_1": "10:00:00",
        },
    )
    assert response.status_code == 200  # the form again, with an error
    assert not CultivationTarget.objects.filter(retailer=retailer_b).exists()
    response = client_for(staff_supervisor).post(
        "/admin/visits/cultivationtarget/add/",
        {
            "programme": mine.pk,
            "retailer": retailer_a.pk,
            "source": "hand",
            "added_at_0": "2026-11-03",
            "added_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302
    assert CultivationTarget.objects.filter(retailer=retailer_a).exists()


def test_a_county_supervisor_cannot_target_by_rule_across_a_company_programme(
    client_for,
    api_client_for,
    supervisor_a,
    company_admin,
    company,
    products,
    place_order,
    retailer_a,
    retailer_b,
):
    programme = _programme(products, company, company_admin, "全市天叶培育")
    place_order(retailer_a, {"YX": 2}, datetime.date(2026, 10, 20))
    place_order(retailer_b, {"YX": 2}, datetime.date(2026, 10, 20))
    client_for(supervisor_a).post(f"/visits/cultivation/{programme.pk}/targets/", {"mode": "rule"})
    response = api_client_for(supervisor_a).post(
        f"/api/v1/cultivation-programmes/{programme.pk}/targets/", {"select_by": "rule"}, format="json"
    )
    assert response.status_code == 400
    assert not CultivationTarget.objects.exists()
    # the company admin, whose unit it is, still can
    client_for(company_admin).post(f"/visits/cultivation/{programme.pk}/targets/", {"mode": "rule"})
    assert set(CultivationTarget.objects.values_list("retailer_id", flat=True)) == {
        retailer_a.pk,
        retailer_b.pk,
    }


def test_visit_photo_links_in_the_admin_open_the_protected_view_not_media(
    client_for, company_admin, manager_a, retailer_a, record
):
    from tests.feedback.factories import png

    visit = record(manager_a, retailer_a, photos=[png()])
    photo = visit.photos.get()
    url = f"/visits/log/{visit.pk}/photos/{photo.pk}/"
    client = client_for(company_admin)
    for page in (f"/admin/visits/visit/{visit.pk}/change/", "/admin/visits/visitphoto/"):
        html = client.get(page).content.decode()
        assert url in html, page
        assert "/media/" not in html, page
        assert 'href="media/' not in html, page
    assert client.get(url).status_code == 200
