"""Every change of a retailer is kept by database triggers (django-pghistory), bulk updates included, and the
portrait shows it."""

from accounts.models import Retailer, RetailerEvent
from accounts.selectors import retailer_history
from accounts.services import retailer_update, retailers_status_set
from tests.accounts.factories import RetailerFactory, form_data


def events_of(retailer, label="updated"):
    return RetailerEvent.objects.filter(pgh_obj_id=retailer.pk, pgh_label=label).order_by("pgh_id")


def test_creating_a_retailer_records_a_created_event(retailer_a):
    event = events_of(retailer_a, "created").get()
    assert event.licence_no == retailer_a.licence_no
    assert event.tier == 10


def test_retailer_update_records_the_new_values(retailer_a):
    retailer_update(actor=None, retailer=retailer_a, data={"scale": "3", "shop_name": "老城甲号超市"})
    event = events_of(retailer_a).get()
    assert (event.scale, event.shop_name) == ("3", "老城甲号超市")


def test_an_update_that_changes_nothing_records_no_event(retailer_a):
    retailer_update(
        actor=None, retailer=retailer_a, data={"tier": retailer_a.tier, "scale": retailer_a.scale}
    )
    assert not events_of(retailer_a).exists()


def test_history_lists_each_change_with_old_and_new_value(retailer_a):
    retailer_update(actor=None, retailer=retailer_a, data={"shop_name": "老城甲号超市"})
    latest = retailer_history(retailer=retailer_a)[0]
    assert latest["label"] == "updated"
    assert {"field": "店铺名称", "old": "老城甲号便利店", "new": "老城甲号超市"} in latest["changes"]
    assert len(latest["changes"]) == 1


def test_history_masks_personal_data_in_changes(retailer_a):
    retailer_update(actor=None, retailer=retailer_a, data={"mobile": "13900009999"})
    change = next(c for c in retailer_history(retailer=retailer_a)[0]["changes"] if c["field"] == "手机号")
    assert (change["old"], change["new"]) == ("138****1234", "139****9999")


def test_bulk_queryset_update_is_captured_one_event_per_row(route_a):
    retailers = [RetailerFactory(route=route_a, tier=10) for _ in range(3)]
    untouched = RetailerFactory(route=route_a, tier=10)
    updated = Retailer.objects.filter(pk__in=[r.pk for r in retailers]).update(tier=5)
    assert updated == 3
    for retailer in retailers:
        assert list(events_of(retailer).values_list("tier", flat=True)) == [5]
    assert not events_of(untouched).exists()


def test_bulk_status_action_is_captured_in_history(retailer_a, route_a, supervisor_a):
    other = RetailerFactory(route=route_a)
    retailers_status_set(actor=supervisor_a, retailer_ids=[retailer_a.pk, other.pk], status="suspended")
    assert events_of(retailer_a).get().status == "suspended"
    assert events_of(other).get().status == "suspended"


def test_portrait_shows_the_change(retailer_a, manager_a, client_for):
    retailer_update(actor=manager_a, retailer=retailer_a, data={"shop_name": "老城甲号超市"})
    html = client_for(manager_a).get(retailer_a.get_absolute_url()).content.decode()
    assert "店铺名称：</span>老城甲号便利店 → <strong>老城甲号超市</strong>" in html


def test_portrait_names_who_made_a_change_through_the_page(retailer_a, manager_a, client_for):
    client = client_for(manager_a)
    response = client.post(
        f"/retailers/{retailer_a.pk}/edit/", form_data(retailer_a, shop_name="老城甲号超市")
    )
    assert response.status_code == 302
    history = retailer_history(retailer=retailer_a)
    assert history[0]["who"] == "王经理甲"
    html = client.get(retailer_a.get_absolute_url()).content.decode()
    assert "老城甲号便利店 → <strong>老城甲号超市</strong>" in html
