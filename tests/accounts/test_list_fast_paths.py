"""The retailer list's speed-ups (found with `manage.py bench api`) change nothing a user or client sees."""

import datetime
import json

import pytest
from django import forms
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from accounts.api import RetailerSerializer, _list_field, retailer_list_columns, retailer_list_rows
from accounts.filters import RetailerFilter
from accounts.licence import retailer_licence_state
from accounts.models import Retailer, SensitiveAccess
from accounts.selectors import retailer_scope
from accounts.sensitive import sensitive_access_log_many
from accounts.views import LIST_COLUMNS, _list_rows
from accounts.widgets import FastSelect
from core.masking import mask_mobile
from tests.accounts.factories import RetailerFactory
from tests.users.factories import ManagerFactory
from users.models import Route


def test_fast_select_writes_exactly_djangos_select(route_a, route_b):
    queryset = Route.objects.order_by("code")
    for value in (None, "", str(route_b.pk), route_a.pk, "999999"):
        for attrs in (
            {"class": "form-select form-select-sm", "id": "id_route"},
            {"data-x": 'a"<b', "required": True},
        ):
            django = forms.ModelChoiceField(queryset=queryset, required=False)
            fast = forms.ModelChoiceField(queryset=queryset, required=False, widget=FastSelect)
            assert fast.widget.render("route", value, dict(attrs)) == django.widget.render(
                "route", value, dict(attrs)
            )
    choices = [("", "---"), ("a", "A&B"), (1, "<i>"), (None, "none")]
    for value in ("a", 1, None, ["a", 1]):
        assert FastSelect(choices=choices).render("x", value) == forms.Select(choices=choices).render(
            "x", value
        )


def test_fast_select_counts_nothing(route_a, route_b):
    field = forms.ModelChoiceField(queryset=Route.objects.all(), required=False, widget=FastSelect)
    with CaptureQueriesContext(connection) as captured:
        field.widget.render("route", None)
    assert len(captured) == 1
    assert "COUNT(" not in captured[0]["sql"].upper()


def test_multiple_choice_filters_do_not_select_distinct(supervisor_a, retailer_a):
    qs = retailer_scope(user=supervisor_a)
    filtered = RetailerFilter(
        {"credit_grade": ["A", "AA"], "business_format": ["B", "Z"]}, queryset=qs, user=supervisor_a
    ).qs
    assert "DISTINCT" not in str(filtered.query).upper()
    assert list(filtered) == [retailer_a]


def test_api_rows_are_what_drf_would_write(company_admin, route_a, route_b):
    rows = [
        RetailerFactory(route=route_a, latitude="34.683000", longitude="112.469123", tier=None),
        RetailerFactory(route=route_b),
    ]
    # consent is changed only by its own service; a consent time gives the rows a datetime to write
    Retailer.objects.filter(pk=rows[1].pk).update(sms_consent=True, sms_consent_at=timezone.now())
    without_manager = RetailerFactory(route=route_b)
    without_manager.route.manager = None
    rows = [
        *Retailer.objects.filter(pk__in=[r.pk for r in rows]).select_related("route__manager"),
        without_manager,
    ]
    rows[0].route = None  # a retailer without a route
    request = APIRequestFactory().get("/api/v1/retailers/")
    request.user = company_admin

    class GenericSerializer(RetailerSerializer):
        def _fields_to_representation(self, instance):
            return serializers.ModelSerializer.to_representation(self, instance)

    for reveal in ({"mobile": True, "identity": True}, {}):
        context = {"request": request, "reveal": reveal}
        fast = RetailerSerializer(rows, many=True, context=context).data
        generic = GenericSerializer(rows, many=True, context=context).data
        assert [dict(row) for row in fast] == [dict(row) for row in generic]
    assert fast[0]["route"] is None
    assert fast[0]["route_code"] is None
    assert fast[2]["manager"] is None


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_choice_labels_match_djangos(retailer_a, language):
    retailer_a.order_weekday = 3
    with translation.override(language):
        for name in ("status", "market_type", "business_format", "scale", "credit_grade", "order_weekday"):
            field = Retailer._meta.get_field(name)
            assert retailer_a._get_FIELD_display(field) == Model._get_FIELD_display(retailer_a, field)
    retailer_a.business_format = "?"
    assert retailer_a.get_business_format_display() == "?"


def test_access_log_rows_in_retailer_then_field_order(company_admin, retailer_a, retailer_b):
    before = timezone.now() - datetime.timedelta(seconds=1)
    written = sensitive_access_log_many(
        user=company_admin,
        retailer_ids=[retailer_b.pk, retailer_a.pk],
        fields=[SensitiveAccess.Field.MOBILE, SensitiveAccess.Field.BANK_ACCOUNT],
        via=SensitiveAccess.Via.API,
        ip_address="10.0.0.7",
    )
    assert written == 4
    rows = list(SensitiveAccess.objects.order_by("id"))
    assert [(r.retailer_id, r.field) for r in rows] == [
        (retailer_b.pk, "mobile"),
        (retailer_b.pk, "bank_account"),
        (retailer_a.pk, "mobile"),
        (retailer_a.pk, "bank_account"),
    ]
    assert {(r.user_id, r.via, r.ip_address) for r in rows} == {(company_admin.pk, "api", "10.0.0.7")}
    assert all(r.created_at >= before for r in rows)
    assert sensitive_access_log_many(user=company_admin, retailer_ids=[], fields=["mobile"], via="api") == 0
    sensitive_access_log_many(user=company_admin, retailer_ids=[retailer_a.pk], fields=["mobile"], via="page")
    assert SensitiveAccess.objects.order_by("-id").first().ip_address is None


def test_territory_choices_read_as_columns_say_what_the_models_say(company_admin, route_a, route_b, dept_a):
    ManagerFactory(username="no_display_name", display_name="", org_unit=dept_a)  # __str__ falls back
    filterset = RetailerFilter({}, queryset=retailer_scope(user=company_admin), user=company_admin)
    for name in ("route", "manager", "org_unit"):
        field = filterset.form.fields[name]
        django = forms.ModelChoiceField(queryset=field.queryset, empty_label=field.empty_label)
        fast = [(str(value), str(label)) for value, label in field.choices]
        assert fast == [(str(value), str(label)) for value, label in django.choices], name
        assert len(fast) > 2, name
    assert "no_display_name" in [label for _value, label in filterset.form.fields["manager"].choices]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_list_rows_say_what_the_retailer_says(route_a, route_b, language):
    today = timezone.localdate()
    shops = [
        RetailerFactory(route=route_a, tier=None),
        RetailerFactory(route=route_a, licence_expires_on=today - datetime.timedelta(days=3)),
        RetailerFactory(route=route_b, licence_expires_on=today + datetime.timedelta(days=60)),
        RetailerFactory(route=route_b, licence_expires_on=today + datetime.timedelta(days=91)),
    ]
    Retailer.objects.filter(pk=shops[1].pk).update(status=Retailer.Status.SUSPENDED, licence_status="revoked")
    Route.objects.filter(pk=route_b.pk).update(manager=None)
    qs = Retailer.objects.filter(pk__in=[s.pk for s in shops]).order_by("-id")
    with translation.override(language):
        rows = _list_rows(list(qs.values(*LIST_COLUMNS)), today=today)
        for row, r in zip(rows, qs.select_related("route__manager"), strict=True):
            days = r.licence_days_left
            assert row["url"] == r.get_absolute_url()
            assert row["mobile"] == mask_mobile(r.mobile)
            assert row["status_label"] == ("" if r.status == "active" else r.get_status_display())
            assert row["class_title"] == (
                f"{r.get_market_type_display()} · {r.get_business_format_display()} · {r.get_scale_display()}"
            )
            assert row["business_format"] == r.get_business_format_display()
            assert row["licence"] == retailer_licence_state(r, today=today)
            assert row["edge"] == (" is-expired" if days < 0 else " is-soon" if days <= 90 else "")
            assert row["expires_on"] == r.licence_expires_on.strftime("%Y-%m-%d")
            assert row["tier_label"] == (_("%(n)s档") % {"n": r.tier} if r.tier else "")
            assert row["route_code"] == r.route.code
            assert row["manager"] == (str(r.route.manager) if r.route.manager else "")
    assert [row["edge"] for row in rows] == ["", " is-soon", " is-expired", ""]


def test_list_page_writes_each_retailer_once(route_a, manager_a, client_for):
    shops = [RetailerFactory(route=route_a) for _ in range(3)]
    html = client_for(manager_a).get("/retailers/").content.decode()
    for shop in shops:
        assert html.count(f'href="{shop.get_absolute_url()}"') == 1
        assert html.count(shop.shop_name) == 1
        assert html.count(mask_mobile(shop.mobile)) == 1
        assert shop.mobile not in html
    assert html.count('class="retailer-link"') == 3


@pytest.mark.parametrize("time_zone", ["Asia/Shanghai", "UTC"])
def test_api_list_rows_read_as_values_are_what_the_serializer_writes(
    company_admin, route_a, route_b, time_zone
):
    shops = [
        RetailerFactory(route=route_a, latitude="34.683000", longitude="112.469123", tier=None),
        RetailerFactory(route=route_b, owner_birthday=None, email="shop@example.com"),
        RetailerFactory(route=route_b),
    ]
    Retailer.objects.filter(pk=shops[0].pk).update(
        owner_id_number="410302198001010019", bank_account="6222020200112233445"
    )
    Retailer.objects.filter(pk=shops[1].pk).update(sms_consent=True, sms_consent_at=timezone.now())
    Retailer.objects.filter(pk=shops[2].pk).update(route=None, owner_id_number="", bank_account="")
    Route.objects.filter(pk=route_b.pk).update(manager=None)
    request = APIRequestFactory().get("/api/v1/retailers/")
    request.user = company_admin
    qs = Retailer.objects.filter(pk__in=[s.pk for s in shops]).order_by("-id")
    with timezone.override(time_zone):
        drf = RetailerSerializer(
            list(qs.select_related("route__manager")), many=True, context={"request": request}
        )
        fast = retailer_list_rows(list(qs.values(*retailer_list_columns())))
        assert json.dumps(fast) == json.dumps(drf.data)  # the same keys in the same order, the same values
    assert [row["manager"] for row in fast] == [
        None,
        None,
        {"id": route_a.manager.pk, "username": "manager_a", "display_name": "王经理甲"},
    ]
    assert fast[0]["route"] is None
    assert fast[2]["mobile"] == mask_mobile(shops[0].mobile)
    assert (fast[2]["owner_id_number"], fast[2]["bank_account"]) == (
        "**************0019",
        "***************3445",
    )
    assert (fast[0]["owner_id_number"], fast[0]["bank_account"]) == ("", "")


def test_api_list_rows_refuse_a_field_they_cannot_read():
    class Other(serializers.Serializer):
        when = serializers.TimeField()

    with pytest.raises(ValueError, match="no list reading for TimeField"):
        _list_field(Other().fields["when"])


def test_api_list_answers_from_values(company_admin, retailer_a, retailer_b, api_client_for):
    response = api_client_for(company_admin).get("/api/v1/retailers/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [retailer_b.pk, retailer_a.pk]
    assert rows[1]["mobile"] == mask_mobile("13800001234")
    assert rows[1]["manager"] == {
        "id": retailer_a.route.manager_id,
        "username": "manager_a",
        "display_name": "王经理甲",
    }
