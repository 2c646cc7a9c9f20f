"""Every admin of our models derives from core.admin.ModelAdmin, so an object outside the user's admin list is a
404 there as on every other path (not Django's redirect to the index saying it does not exist)."""

from django.contrib import admin

from core.admin import ModelAdmin
from tests.our_apps import OUR_APPS


def test_every_admin_of_our_models_derives_from_the_base():
    ours = {
        model: model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in OUR_APPS
    }
    assert len(ours) > 60
    loose = sorted(
        model._meta.label for model, model_admin in ours.items() if not isinstance(model_admin, ModelAdmin)
    )
    assert loose == []


def test_a_missing_object_is_404_not_a_redirect(company_admin, client_for):
    client = client_for(company_admin)
    for view in ("change", "history", "delete"):
        response = client.get(f"/admin/accounts/retailer/999999999/{view}/")
        assert response.status_code == 404, view
