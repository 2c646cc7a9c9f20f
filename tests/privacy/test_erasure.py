"""A deletion request, approved, leaves the person's phone, ID card, bank account and e-mail nowhere in the database
except where the statement says why (the send log, kept ≥ 5 months); its records stay without them."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from accounts.compliance.models import Violation
from accounts.models import ConsentEvent, Retailer, RetailerEvent
from core.errors import ConflictError
from loyalty.ledger.models import PointsEntry
from privacy.models import PrivacyLog, PrivacyRequest, RetailerAnonymisation
from privacy.services import privacy_erasure_approve, privacy_request_create
from tests.privacy.conftest import BANK, EMAIL, ID_CARD, PHONE

pytestmark = pytest.mark.django_db


def _text_columns() -> list[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_name = c.table_name AND t.table_schema = c.table_schema
            WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
              AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
            ORDER BY 1, 2
            """
        )
        return cursor.fetchall()


def where_in_database(value: str) -> set[tuple[str, str]]:
    """(table, column) of every text, varchar and JSON column of every table that holds `value` anywhere."""
    found = set()
    with connection.cursor() as cursor:
        for table, column, _type in _text_columns():
            quote = connection.ops.quote_name
            # names from information_schema, quoted; the value is a parameter
            cursor.execute(
                f"SELECT 1 FROM {quote(table)} WHERE {quote(column)}::text LIKE %s LIMIT 1",  # noqa: S608
                [f"%{value}%"],
            )
            if cursor.fetchone():
                found.add((table, column))
    return found


def _delete_request(person, manager_a):
    return privacy_request_create(
        actor=manager_a,
        retailer_id=person.pk,
        kind="delete",
        channel="visit",
        details=f"请删除我的信息 {PHONE}",
    )


def test_a_deleted_persons_phone_is_nowhere_but_where_the_statement_says_why(person, manager_a, supervisor_a):
    # before: the phone is in many places (the scan finds what it looks for)
    before = where_in_database(PHONE)
    assert {
        ("accounts_retailer", "mobile"),
        ("accounts_retailerevent", "mobile"),
        ("visits_visit", "notes"),
    } <= before
    assert ("feedback_complaint", "description") in before
    assert ("fieldapp_heldvisit", "payload") in before
    assert {("accounts_retailerexport", "filters"), ("accounts_importrowerror", "value")} <= before
    assert {("accounts_importjob", "preview"), ("pghistory_context", "metadata")} <= before
    request = _delete_request(person, manager_a)

    anonymisation = privacy_erasure_approve(actor=supervisor_a, request=request)

    statement = {(entry["model"], entry["field"]): entry for entry in anonymisation.statement}
    kept_with_reason = set()
    from django.apps import apps

    for (label, _field), entry in statement.items():
        model = apps.get_model(label)
        for name in entry["kept_fields"]:
            kept_with_reason.add((model._meta.db_table, model._meta.get_field(name).column))
    left = where_in_database(PHONE)
    assert left == {("campaigns_delivery", "address"), ("campaigns_inboundreply", "from_number")}
    assert left <= kept_with_reason
    assert "5 months" in statement[("campaigns.Delivery", "retailer")]["why"]
    # the identity numbers and the e-mail are nowhere at all
    for value in (ID_CARD, BANK, EMAIL):
        assert where_in_database(value) == set(), value


def test_erasure_keeps_the_records_without_the_personal_fields(person, manager_a, supervisor_a):
    entries = PointsEntry.objects.filter(account__retailer=person).count()
    violations = Violation.objects.filter(retailer=person).count()
    request = _delete_request(person, manager_a)

    privacy_erasure_approve(actor=supervisor_a, request=request)

    person.refresh_from_db()
    assert person.owner_name == "***"
    assert person.owner_id_number == ""
    assert person.bank_account == ""
    assert person.mobile.startswith("10")
    assert len(person.mobile) == 11
    assert person.email == ""
    assert person.owner_birthday is None
    assert not person.sms_consent
    assert not person.email_consent
    assert person.shop_name == "老城隐私测试店"
    assert person.status == Retailer.Status.ACTIVE
    # ledger and violations stay as records
    assert PointsEntry.objects.filter(account__retailer=person).count() == entries > 0
    assert Violation.objects.filter(retailer=person).count() == violations > 0
    assert "***" in Violation.objects.filter(retailer=person).first().notes
    # history keeps its versions, none with the phone
    assert RetailerEvent.objects.filter(pgh_obj=person).count() >= 2
    assert not RetailerEvent.objects.filter(pgh_obj=person, mobile=PHONE).exists()
    # the old consent went, the recent one (proof for the send log) stayed scrubbed
    assert list(ConsentEvent.objects.filter(retailer=person).values_list("source", flat=True)) == ["电话***"]
    request.refresh_from_db()
    assert request.status == PrivacyRequest.Status.DONE
    assert PHONE not in request.details
    codes = list(PrivacyLog.objects.filter(request=request).order_by("id").values_list("code", flat=True))
    assert codes == ["received", "approved", "anonymised"]


def test_a_manager_cannot_approve_a_deletion(person, manager_a, supervisor_a):
    request = _delete_request(person, manager_a)
    with pytest.raises(PermissionDenied):
        privacy_erasure_approve(actor=manager_a, request=request)
    person.refresh_from_db()
    assert person.mobile == PHONE
    assert not RetailerAnonymisation.objects.exists()
    assert PrivacyRequest.objects.get(pk=request.pk).status == "open"


def test_who_registered_a_deletion_cannot_approve_it(person, supervisor_a, second_supervisor):
    request = privacy_request_create(actor=supervisor_a, retailer_id=person.pk, kind="delete")
    with pytest.raises(PermissionDenied):
        privacy_erasure_approve(actor=supervisor_a, request=request)
    assert Retailer.objects.get(pk=person.pk).mobile == PHONE
    privacy_erasure_approve(actor=second_supervisor, request=request)
    assert Retailer.objects.get(pk=person.pk).mobile != PHONE


def test_a_supervisor_of_another_county_cannot_approve(person, manager_a, county_b):
    from django.core.exceptions import ValidationError

    from tests.users.factories import SupervisorFactory

    other = SupervisorFactory(username="sup_other", org_unit=county_b)
    request = _delete_request(person, manager_a)
    with pytest.raises(ValidationError) as caught:
        privacy_erasure_approve(actor=other, request=request)
    assert "retailer" in caught.value.message_dict
    assert Retailer.objects.get(pk=person.pk).mobile == PHONE


def test_an_anonymised_record_takes_no_second_erasure_nor_new_requests(person, manager_a, supervisor_a):
    request = _delete_request(person, manager_a)
    privacy_erasure_approve(actor=supervisor_a, request=request)
    with pytest.raises(ConflictError):
        privacy_erasure_approve(actor=supervisor_a, request=request)
    with pytest.raises(ConflictError):
        privacy_request_create(actor=manager_a, retailer_id=person.pk, kind="access")
