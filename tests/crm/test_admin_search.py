"""Every registered admin changelist answers a search — Chinese, numeric and ASCII — without a server error, for
a superuser and for a county supervisor given the admin (as the demo's are)."""

import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import translation

SEARCHES = ("老城", "123", "abc")


@pytest.fixture
def staff_supervisor(supervisor_a):
    supervisor_a.is_staff = True
    supervisor_a.save(update_fields=["is_staff"])
    return supervisor_a


@pytest.fixture
def superuser(company):
    from tests.users.factories import AdminFactory

    return AdminFactory(username="root", is_superuser=True, org_unit=company)


def _changelists():
    for model, model_admin in admin.site._registry.items():
        try:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        except NoReverseMatch:
            continue
        yield model._meta.label, url, bool(model_admin.search_fields)


def test_every_changelist_search_answers_without_a_server_error(superuser, staff_supervisor, retailer_a):
    failures = []
    searched = 0
    for user in (superuser, staff_supervisor):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for label, url, searchable in _changelists():
            for term in SEARCHES if searchable else ("",):
                response = client.get(url, {"q": term} if term else {})
                if response.status_code >= 500:
                    failures.append((user.username, label, term, response.status_code))
                searched += 1
    assert failures == []
    assert searched > 100  # every app's admin took part


def test_the_violation_history_admin_searches_by_number_and_by_words(superuser, retailer_a, client_for):
    from accounts.compliance.models import Violation
    from accounts.compliance.services import violation_record

    violation = violation_record(
        actor=superuser,
        retailer=retailer_a,
        data={
            "occurred_on": retailer_a.licence_issued_on,
            "type": Violation.Type.choices[0][0],
            "penalty": Violation.Penalty.choices[0][0],
            "source": Violation.Source.choices[0][0],
        },
    )
    url = reverse("admin:accounts_violationevent_changelist")
    client = client_for(superuser)
    for term in ("abc", "老城", retailer_a.licence_no):
        assert client.get(url, {"q": term}).status_code == 200
    found = client.get(url, {"q": str(violation.pk)}).context["cl"].result_list
    assert {event.pgh_obj_id for event in found} == {violation.pk}


def test_links_on_admin_pages_open_pages_the_reader_may_see(
    staff_supervisor, superuser, retailer_a, client_for
):
    """Every admin link on a changelist and on the first row's change page answers, for a county supervisor too:
    a link to a page that then refuses (403) is a dead end."""
    import re

    from accounts.compliance.models import Violation
    from accounts.compliance.services import violation_record

    violation_record(
        actor=superuser,
        retailer=retailer_a,
        data={
            "occurred_on": retailer_a.licence_issued_on,
            "type": Violation.Type.choices[0][0],
            "penalty": Violation.Penalty.choices[0][0],
            "source": Violation.Source.choices[0][0],
        },
    )
    dead = []
    for user in (staff_supervisor, superuser):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        seen = set()
        for label, url, _searchable in _changelists():
            response = client.get(url)
            if response.status_code != 200:
                continue
            pages = [url]
            first = response.context["cl"].result_list[:1] if "cl" in (response.context or {}) else []
            for obj in first:
                pages.append(
                    reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
                )
            for page in pages[1:]:
                html = client.get(page).content.decode()
                for link in set(re.findall(r'href="(/admin/[a-z_]+/[a-z_]+/\d+/change/)"', html)):
                    if link in seen:
                        continue
                    seen.add(link)
                    status = client.get(link).status_code
                    if status == 403:
                        dead.append((user.username, label, link))
    assert dead == []


def test_pages_link_to_the_admin_only_where_the_admin_opens(supervisor_a, company, client_for):
    from django.contrib.auth.models import Permission

    # a supervisor holding the model permission but not the admin (not staff): the link would open the admin's
    # login page, a dead end for them
    from django.contrib.contenttypes.models import ContentType

    from accounts.compliance.models import CreditRule
    from tests.users.factories import AdminFactory

    # get_or_create: a transactional test run before this one may have flushed the permission rows
    permission, _created = Permission.objects.get_or_create(
        codename="change_creditrule",
        content_type=ContentType.objects.get_for_model(CreditRule),
        defaults={"name": "Can change credit rule"},
    )
    supervisor_a.user_permissions.add(permission)
    CreditRule.objects.get_or_create(
        is_active=True, defaults={"name": "默认信用规则"}
    )  # as the data migration
    admin_user = AdminFactory(org_unit=company, is_superuser=True)
    assert (
        "/admin/accounts/creditrule/"
        not in client_for(supervisor_a).get("/retailers/credit-rule/").content.decode()
    )
    admin_page = client_for(admin_user).get("/retailers/credit-rule/").content.decode()
    link = re.search(r'href="(/admin/accounts/creditrule/\d+/change/)"', admin_page).group(1)
    assert client_for(admin_user).get(link).status_code == 200
    assert client_for(supervisor_a).get(link).status_code == 302


def test_the_admin_carries_the_products_name_and_translated_models(superuser, client_for):
    client = client_for(superuser)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "烟草零售客户 CRM · 系统管理" in page
    assert "Django" not in page
    for name in ("登录保护", "登录尝试", "客户变更记录", "违规变更记录", "区划对应营销部"):
        assert name in page, name
    assert "Axes" not in page
    english = client_for(superuser)
    english.cookies["django_language"] = "en"
    # the locale middleware activates English in this thread; give the tests after this one their language back
    with translation.override(translation.get_language()):
        page = english.get("/admin/").content.decode()
    for name in (
        "Tobacco retail CRM · Administration",
        "Retailer changes",
        "Violation changes",
        "Region departments",
    ):
        assert name in page, name
