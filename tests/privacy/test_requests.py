"""Requests to see, correct or delete: deadlines in working days, the see-export with every app's data (unmasked,
logged as an export), corrections through the retailer's validation, refusals with a reason, and the retention of
closed records."""

import datetime
import json
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Retailer, RetailerExport
from core.errors import ConflictError
from privacy.models import PrivacyLog, PrivacyRequest, RetailerAnonymisation
from privacy.services import (
    privacy_access_export,
    privacy_correction_apply,
    privacy_due_at,
    privacy_request_create,
    privacy_request_refuse,
    privacy_retention_run,
)
from tests.accounts.factories import RetailerFactory
from tests.privacy.conftest import BANK, ID_CARD, PHONE

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
APPS = (
    "accounts",
    "sales",
    "segmentation",
    "campaigns",
    "loyalty",
    "feedback",
    "visits",
    "fieldapp",
    "privacy",
)


def test_the_deadline_is_fifteen_working_days_at_close_of_office(settings):
    # Monday 2026-03-02, 10:00: 15 working days later, no holiday in between, is Monday 2026-03-23
    received = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
    due = privacy_due_at(received_at=received)
    assert due == datetime.datetime(2026, 3, 23, 17, 30, tzinfo=SHANGHAI)
    # over the National Day holiday (Oct 1–7 off, 2026-09-20 and 2026-10-10 make-up days per the State Council)
    received = datetime.datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI)
    assert privacy_due_at(received_at=received).date() > datetime.date(2026, 10, 19)  # 15 weekdays
    settings.PRIVACY_RESPONSE_WORKING_DAYS = 1
    assert privacy_due_at(received_at=datetime.datetime(2026, 3, 6, 16, 0, tzinfo=SHANGHAI)).date() == (
        datetime.date(2026, 3, 9)
    )


def test_a_request_is_registered_with_its_deadline_and_logged(retailer_a, manager_a):
    request = privacy_request_create(
        actor=manager_a, retailer_id=retailer_a.pk, kind="access", channel="phone"
    )
    assert request.status == "open"
    assert request.due_at == privacy_due_at(received_at=request.received_at)
    log = PrivacyLog.objects.get(request=request)
    assert (log.code, log.user, log.params["kind"]) == ("received", manager_a, "access")


def test_requests_are_refused_when_wrong_and_change_nothing(retailer_a, retailer_b, manager_a):
    with pytest.raises(ValidationError) as caught:
        privacy_request_create(actor=manager_a, retailer_id=retailer_b.pk, kind="access")
    assert "retailer" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        privacy_request_create(actor=manager_a, retailer_id=retailer_a.pk, kind="correct", corrections={})
    assert "corrections" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        privacy_request_create(
            actor=manager_a, retailer_id=retailer_a.pk, kind="correct", corrections={"tier": 30}
        )
    assert "corrections" in caught.value.message_dict
    with pytest.raises(ValidationError):
        privacy_request_create(actor=manager_a, retailer_id=retailer_a.pk, kind="forget")
    privacy_request_create(actor=manager_a, retailer_id=retailer_a.pk, kind="delete")
    with pytest.raises(ConflictError):
        privacy_request_create(actor=manager_a, retailer_id=retailer_a.pk, kind="delete")
    assert PrivacyRequest.objects.count() == 1


def test_the_see_export_holds_every_apps_data_unmasked_and_is_logged(person, manager_a, supervisor_a):
    request = privacy_request_create(actor=manager_a, retailer_id=person.pk, kind="access")
    content, filename, _type = privacy_access_export(actor=supervisor_a, request=request, fmt="json")
    assert filename.endswith(".json")
    document = json.loads(content)
    models = {section["model"] for section in document["data"]}
    assert {label.split(".")[0] for label in models} == set(APPS)
    assert {
        "sales.Order",
        "loyalty.PointsEntry",
        "campaigns.Delivery",
        "visits.Visit",
        "feedback.Complaint",
    } <= models
    retailer_rows = next(s for s in document["data"] if s["model"] == "accounts.Retailer")["rows"]
    # for the person: unmasked
    assert retailer_rows[0]["mobile"] == PHONE
    assert retailer_rows[0]["owner_id_number"] == ID_CARD
    assert retailer_rows[0]["bank_account"] == BANK
    export = RetailerExport.objects.get(unmasked=True)
    assert export.unmasked
    assert export.user == supervisor_a
    assert export.filters == {"privacy_request": request.pk, "retailer": person.pk, "format": "json"}
    assert export.row_count == sum(len(s["rows"]) for s in document["data"])
    request.refresh_from_db()
    assert request.status == "done"
    assert PrivacyLog.objects.filter(request=request, code="exported").count() == 1


def test_the_see_export_as_xlsx_has_a_sheet_per_model(person, manager_a, supervisor_a):
    import io

    request = privacy_request_create(actor=manager_a, retailer_id=person.pk, kind="access")
    content, _filename, _type = privacy_access_export(actor=supervisor_a, request=request, fmt="xlsx")
    workbook = load_workbook(io.BytesIO(content))
    assert {"accounts.Retailer", "sales.Order", "loyalty.PointsAccount", "fieldapp.HeldVisit"} <= set(
        workbook.sheetnames
    )
    sheet = workbook["accounts.Retailer"]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=header.index("mobile") + 1).value == PHONE
    # a second copy is logged too
    privacy_access_export(actor=supervisor_a, request=request, fmt="json")
    assert RetailerExport.objects.filter(unmasked=True).count() == 2


def test_a_manager_cannot_take_the_unmasked_copy(retailer_a, manager_a):
    request = privacy_request_create(actor=manager_a, retailer_id=retailer_a.pk, kind="access")
    with pytest.raises(PermissionDenied):
        privacy_access_export(actor=manager_a, request=request, fmt="json")
    assert not RetailerExport.objects.filter(unmasked=True).exists()
    assert PrivacyRequest.objects.get(pk=request.pk).status == "open"


def test_a_correction_goes_through_the_retailers_validation(retailer_a, manager_a, supervisor_a):
    bad = privacy_request_create(
        actor=manager_a, retailer_id=retailer_a.pk, kind="correct", corrections={"mobile": "12345"}
    )
    with pytest.raises(ValidationError):
        privacy_correction_apply(actor=supervisor_a, request=bad)
    assert Retailer.objects.get(pk=retailer_a.pk).mobile == "13800001234"
    assert PrivacyRequest.objects.get(pk=bad.pk).status == "open"
    privacy_request_refuse(actor=supervisor_a, request=bad, reason="号码位数不对，请客户重新提供")
    good = privacy_request_create(
        actor=manager_a,
        retailer_id=retailer_a.pk,
        kind="correct",
        corrections={"mobile": "13811112222", "owner_name": "周甲乙"},
    )
    privacy_correction_apply(actor=supervisor_a, request=good)
    retailer_a.refresh_from_db()
    assert (retailer_a.mobile, retailer_a.owner_name) == ("13811112222", "周甲乙")
    log = PrivacyLog.objects.get(request=good, code="corrected")
    assert log.params == {"fields": ["mobile", "owner_name"]}
    with pytest.raises(ConflictError):
        privacy_correction_apply(actor=supervisor_a, request=good)


def test_a_manager_cannot_apply_a_correction(retailer_a, manager_a):
    request = privacy_request_create(
        actor=manager_a, retailer_id=retailer_a.pk, kind="correct", corrections={"owner_name": "周丙"}
    )
    with pytest.raises(PermissionDenied):
        privacy_correction_apply(actor=manager_a, request=request)
    assert Retailer.objects.get(pk=retailer_a.pk).owner_name == "周甲"


def test_a_refusal_needs_a_reason(retailer_a, manager_a, supervisor_a):
    request = privacy_request_create(actor=manager_a, retailer_id=retailer_a.pk, kind="delete")
    with pytest.raises(PermissionDenied):
        privacy_request_refuse(actor=manager_a, request=request, reason="不删")
    with pytest.raises(ValidationError):
        privacy_request_refuse(actor=supervisor_a, request=request, reason="  ")
    refused = privacy_request_refuse(actor=supervisor_a, request=request, reason="仍在经营，需保留联系方式")
    assert refused.status == "refused"
    assert PrivacyLog.objects.filter(request=request, code="refused").exists()
    assert Retailer.objects.get(pk=retailer_a.pk).mobile == "13800001234"


def _close(retailer, *, at):
    """Close the shop through an ordinary update, its history stamped `at`."""
    from accounts.models import RetailerEvent

    Retailer.objects.filter(pk=retailer.pk).update(status=Retailer.Status.CLOSED)
    RetailerEvent.objects.filter(pgh_obj=retailer, status=Retailer.Status.CLOSED).update(pgh_created_at=at)


def test_retention_anonymises_retailers_closed_longer_than_the_period(route_a, settings):
    settings.PRIVACY_CLOSED_RETENTION_DAYS = 365
    now = timezone.now()
    long_closed = RetailerFactory(route=route_a, mobile="13600000001")
    recently_closed = RetailerFactory(route=route_a, mobile="13600000002")
    still_open = RetailerFactory(route=route_a, mobile="13600000003")
    _close(long_closed, at=now - datetime.timedelta(days=400))
    _close(recently_closed, at=now - datetime.timedelta(days=100))

    assert privacy_retention_run(now=now) == 1

    assert Retailer.objects.get(pk=long_closed.pk).mobile != "13600000001"
    assert Retailer.objects.get(pk=recently_closed.pk).mobile == "13600000002"
    assert Retailer.objects.get(pk=still_open.pk).mobile == "13600000003"
    anonymisation = RetailerAnonymisation.objects.get()
    assert (anonymisation.retailer_id, anonymisation.reason) == (long_closed.pk, "retention")
    assert any(entry["model"] == "accounts.Retailer" for entry in anonymisation.statement)
    log = PrivacyLog.objects.get(retailer_id=long_closed.pk)
    assert (log.code, log.user) == ("retention", None)
    # once: a second run finds nothing more
    assert privacy_retention_run(now=now) == 0
    # the recently closed shop's turn comes once its own period has run
    assert privacy_retention_run(now=now + datetime.timedelta(days=200)) == 0
    assert privacy_retention_run(now=now + datetime.timedelta(days=300)) == 1


def _restamp_latest(retailer, *, at):
    from accounts.models import RetailerEvent

    latest = RetailerEvent.objects.filter(pgh_obj=retailer).latest("pgh_id")
    RetailerEvent.objects.filter(pk=latest.pk).update(pgh_created_at=at)


def test_retention_counts_from_the_last_closing(route_a, settings):
    settings.PRIVACY_CLOSED_RETENTION_DAYS = 365
    now = timezone.now()
    shop = RetailerFactory(route=route_a, mobile="13600000004")
    _close(shop, at=now - datetime.timedelta(days=800))
    # reopened 500 days ago, closed again 100 days ago
    Retailer.objects.filter(pk=shop.pk).update(status=Retailer.Status.ACTIVE)
    _restamp_latest(shop, at=now - datetime.timedelta(days=500))
    Retailer.objects.filter(pk=shop.pk).update(status=Retailer.Status.CLOSED)
    _restamp_latest(shop, at=now - datetime.timedelta(days=100))
    assert privacy_retention_run(now=now) == 0
    assert Retailer.objects.get(pk=shop.pk).mobile == "13600000004"
    assert privacy_retention_run(now=now + datetime.timedelta(days=300)) == 1


def test_the_retention_job_has_a_schedule():
    from crm.management.commands.setup_schedules import SCHEDULES

    task, _crontab, _why = SCHEDULES["privacy-retention"]
    assert task == "privacy.retention_anonymise"
    from crm.celery_app import app

    app.loader.import_default_modules()
    assert task in app.tasks
