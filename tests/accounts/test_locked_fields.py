"""The tier and the credit grade change only through their engines (the tier engine; the credit rule): every generic
write path that could touch them — each ModelForm over Retailer, each API endpoint serving a Retailer serializer,
each ModelAdmin (and inline) over Retailer with its actions, each import that writes retailers — is found by
introspection here and must refuse a new value, so a path added later fails this test until it does."""

import importlib
import pkgutil

import pytest
from django import forms
from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework import serializers

from accounts.forms import RetailerForm
from accounts.imports.models import ImportJob
from accounts.imports.spec import REGISTRY
from accounts.models import Retailer
from accounts.services import LOCKED_FIELDS, starting_tier_cap
from tests.accounts.factories import form_data, retailer_data
from tests.imports.helpers import csv_bytes, retailer_row, row_errors, validated_job
from users.models import User

OUR_APPS = [app.split(".")[0] for app in settings.INSTALLED_APPS if not app.startswith(("django", "rest_"))]
NEW_VALUES = {"tier": 23, "credit_grade": "AAA"}  # retailer_a has tier 10, grade A
ROLE_FIXTURES = {
    User.Role.ADMIN: "company_admin",
    User.Role.SUPERVISOR: "supervisor_a",
    User.Role.MANAGER: "manager_a",
    User.Role.INTEGRATION: "integration_user",
}


def import_every_module() -> None:
    """Load every module of our apps, so that every form and serializer class exists to be found."""
    for app in sorted(set(OUR_APPS)):
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            skipped = (".migrations", ".management", ".settings", ".wsgi", ".asgi")
            if any(part in f"{module.name}." for part in (f"{p}." for p in skipped)):
                continue
            importlib.import_module(module.name)


def subclasses(cls) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *subclasses(sub)}
    return found


def over_retailer(classes) -> list[type]:
    return sorted(
        (c for c in classes if getattr(getattr(c, "Meta", None), "model", None) is Retailer),
        key=lambda c: c.__qualname__,
    )


def locked_state(retailer: Retailer) -> tuple:
    return tuple(Retailer.objects.filter(pk=retailer.pk).values_list(*LOCKED_FIELDS).get())


# ---- forms ---------------------------------------------------------------------------------------------------

# How to build each ModelForm over Retailer for editing `retailer` as `user` with posted `data`. A new form over
# Retailer fails test_every_retailer_model_form_is_known until it is added here (and then checked).
FORM_BUILDERS = {
    RetailerForm: lambda data, retailer, user: RetailerForm(
        data, instance=retailer, user=user, reveal_sensitive=True, reveal_contact=True
    ),
}


def test_every_retailer_model_form_is_known():
    import_every_module()
    found = set(over_retailer(subclasses(forms.ModelForm)))
    # forms built per request inside a function (the admin's get_form, modelform_factory) are checked through the
    # admin below
    found = {c for c in found if not c.__module__.startswith("django.") and "<locals>" not in c.__qualname__}
    assert found == set(FORM_BUILDERS)


@pytest.mark.parametrize("form_class", list(FORM_BUILDERS), ids=lambda c: c.__qualname__)
def test_edit_forms_show_the_locked_fields_read_only_and_ignore_a_posted_value(
    form_class, retailer_a, manager_a, client_for
):
    data = form_data(retailer_a, with_sensitive=True, **NEW_VALUES)
    form = FORM_BUILDERS[form_class](data, retailer_a, manager_a)
    assert form.is_valid(), form.errors
    for name in LOCKED_FIELDS:
        assert name not in form.fields or form.fields[name].disabled, name
        assert form.cleaned_data.get(name, getattr(retailer_a, name)) == getattr(retailer_a, name)
        assert name not in form.service_data()
        if name in form.fields:
            assert str(LOCKED_FIELDS[name]) in str(form.fields[name].help_text)  # says where it is changed
    # and the page that posts it
    before = locked_state(retailer_a)
    response = client_for(manager_a).post(f"/retailers/{retailer_a.pk}/edit/", data)
    assert response.status_code == 302
    assert locked_state(retailer_a) == before


def test_the_create_form_takes_a_starting_tier_up_to_the_cap_and_no_credit_grade(
    route_a, manager_a, client_for
):
    cap = starting_tier_cap()
    form = RetailerForm(None, user=manager_a, reveal_sensitive=False)
    assert not form.fields["tier"].disabled
    assert form.fields["credit_grade"].disabled
    client = client_for(manager_a)
    data = {**_create_post(route_a, shop_name="起始档位店"), "tier": str(cap + 1), "credit_grade": "AAA"}
    response = client.post("/retailers/new/", data)
    assert response.status_code == 400
    assert f"不能高于 {cap} 档" in response.content.decode()
    response = client.post("/retailers/new/", {**data, "tier": str(cap)})
    assert response.status_code == 302
    created = Retailer.objects.get(shop_name="起始档位店")
    assert (created.tier, created.credit_grade) == (cap, "A")  # the posted grade was not taken


def _create_post(route, **overrides) -> dict:
    from tests.accounts.factories import new_retailer_form

    return new_retailer_form(route, **overrides)


# ---- the API -------------------------------------------------------------------------------------------------


def api_endpoints() -> list[tuple[str, type, dict, set[str]]]:
    """(URL name, view class, method → action, URL kwargs) of every DRF view in the URL conf whose serializer is
    over Retailer (format-suffix duplicates left out)."""
    found = []

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                view = getattr(pattern.callback, "cls", None)
                serializer = getattr(view, "serializer_class", None)
                kwargs = set(pattern.pattern.regex.groupindex)
                if "format" in kwargs:
                    continue
                if serializer and getattr(getattr(serializer, "Meta", None), "model", None) is Retailer:
                    found.append(
                        (namespace + pattern.name, view, getattr(pattern.callback, "actions", {}), kwargs)
                    )

    walk(get_resolver().url_patterns, "")
    return found


def writable_locked(serializer_class) -> set[str]:
    fields = serializer_class().fields
    return {name for name in LOCKED_FIELDS if name in fields and not fields[name].read_only}


def test_every_retailer_serializer_that_could_write_a_locked_field_is_served_and_checked_below():
    import_every_module()
    served = {view.serializer_class for _name, view, _actions, _kwargs in api_endpoints()}
    for serializer_class in over_retailer(subclasses(serializers.ModelSerializer)):
        if writable_locked(serializer_class):
            assert serializer_class in served, serializer_class


def json_ready(data: dict) -> dict:
    return {
        k: (v.pk if hasattr(v, "pk") else v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in data.items()
    }


@pytest.mark.parametrize("role", sorted(User.Role.values))
def test_every_api_write_refuses_a_new_tier_or_credit_grade_with_where_it_is_changed(
    request, role, retailer_a, route_a, api_client_for
):
    client = api_client_for(request.getfixturevalue(ROLE_FIXTURES[role]))
    checked = []
    for name, _view, actions, kwargs in api_endpoints():
        if kwargs == {"pk"}:
            url = reverse(name, kwargs={"pk": retailer_a.pk})
            for method in {"put", "patch"} & set(actions):
                body = client.get(url).json()
                for field, value in NEW_VALUES.items():
                    before = locked_state(retailer_a)
                    sent = {**body, field: value} if method == "put" else {field: value}
                    response = getattr(client, method)(url, sent, format="json")
                    assert response.status_code == 400, (method, url, field, response.content)
                    assert response.json().get(field) == [str(LOCKED_FIELDS[field])], response.content
                    assert locked_state(retailer_a) == before
                    checked.append((method, field))
        elif not kwargs and "post" in actions:
            url = reverse(name)
            data = json_ready(
                retailer_data(route=route_a, tier=None, credit_grade="AAA", shop_name="锁定字段新店")
            )
            response = client.post(url, data, format="json")
            assert response.status_code == 400, response.content
            assert response.json()["credit_grade"] == [str(LOCKED_FIELDS["credit_grade"])]
            too_high = {**data, "credit_grade": "A", "tier": starting_tier_cap() + 1}
            response = client.post(url, too_high, format="json")
            assert response.status_code == 400, response.content
            assert f"不能高于 {starting_tier_cap()} 档" in response.json()["tier"][0]
            assert not Retailer.objects.filter(shop_name="锁定字段新店").exists()
            checked.append(("post", "create"))
    assert sorted(checked) == sorted(
        [(m, f) for m in ("put", "patch") for f in NEW_VALUES] + [("post", "create")]
    )


# ---- the admin -----------------------------------------------------------------------------------------------


def retailer_admins() -> list[tuple[type, admin.ModelAdmin]]:
    """Every registered ModelAdmin over Retailer, and every admin with an inline over Retailer."""
    found = []
    for model, model_admin in admin.site._registry.items():
        if model is Retailer:
            found.append((model, model_admin))
        for inline in model_admin.inlines:
            if inline.model is Retailer:
                found.append((model, model_admin))
    return found


def test_the_retailer_admin_is_found_and_has_no_inline_elsewhere():
    assert [model for model, _admin in retailer_admins()] == [Retailer]


def test_every_admin_over_retailers_shows_the_locked_fields_read_only_and_its_actions_leave_them(
    retailer_a, company_admin, client_for
):
    client = client_for(company_admin)
    for _model, model_admin in retailer_admins():
        base = f"/admin/{Retailer._meta.app_label}/{Retailer._meta.model_name}/"
        assert not set(LOCKED_FIELDS) & set(model_admin.list_editable)
        page = client.get(f"{base}{retailer_a.pk}/change/")
        assert page.status_code == 200
        form = page.context["adminform"].form
        for name in LOCKED_FIELDS:
            assert name not in form.fields, name  # shown as read-only text, not an input
        before = locked_state(retailer_a)
        data = {**form_data(retailer_a, with_sensitive=True, **NEW_VALUES), "_save": "保存"}
        response = client.post(f"{base}{retailer_a.pk}/change/", data)
        assert response.status_code == 302
        assert locked_state(retailer_a) == before
        request = page.wsgi_request
        for action in set(model_admin.get_actions(request)) - {"delete_selected"}:
            client.post(base, {"action": action, "_selected_action": [retailer_a.pk], "post": "yes"})
            assert locked_state(retailer_a) == before, action
        add = client.get(f"{base}add/").context["adminform"].form
        assert "credit_grade" not in add.fields  # a new retailer starts at the credit rule's grade


# ---- imports -------------------------------------------------------------------------------------------------

# An update of retailer_a in each import that writes retailers, with the locked columns changed. A new kind that
# writes retailers fails until it has a row here.
UPDATE_ROWS = {
    ImportJob.Kind.RETAILERS: lambda retailer, changes: retailer_row(
        1,
        客户编码=retailer.customer_code,
        许可证号=retailer.licence_no,
        档位=str(changes.get("tier", retailer.tier)),
        信用等级=changes.get("credit_grade", retailer.credit_grade),
    ),
}


def test_every_import_that_writes_retailers_has_an_update_row():
    writers = {kind for kind, spec in REGISTRY.items() if Retailer in spec.models}
    assert writers == set(UPDATE_ROWS)


@pytest.mark.parametrize("kind", sorted(UPDATE_ROWS))
def test_imports_refuse_to_change_an_existing_retailers_tier_or_credit_grade(
    kind, supervisor_a, route_a, retailer_a
):
    for name, value in NEW_VALUES.items():
        before = locked_state(retailer_a)
        job = validated_job(
            user=supervisor_a, kind=kind, content=csv_bytes([UPDATE_ROWS[kind](retailer_a, {name: value})])
        )
        assert job.valid_rows == 0
        assert [(c, m) for c, m in row_errors(job)[2] if c == name] == [
            (name, "已有客户的该项不能通过导入修改。" + str(LOCKED_FIELDS[name]))
        ]
        assert locked_state(retailer_a) == before
    # the values it has, repeated, are no change (re-importing an export)
    job = validated_job(user=supervisor_a, kind=kind, content=csv_bytes([UPDATE_ROWS[kind](retailer_a, {})]))
    assert (job.valid_rows, job.invalid_rows) == (1, 0), row_errors(job)
