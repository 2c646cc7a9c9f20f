"""A shop that holds a record of every kind (tests/accounts/test_merge_strands_nothing.World), with its owner's
phone, ID card, bank account and e-mail also typed into free text wherever a person could type them."""

import datetime
import uuid

import pytest
from django.utils import timezone
from pghistory.models import Context

from accounts.compliance.models import Violation
from accounts.imports.models import ImportJob, ImportRowError
from accounts.models import ConsentEvent, RetailerExport
from accounts.services import retailer_update
from campaigns.models import Delivery, InboundReply
from feedback.complaints.models import Complaint, ComplaintEvent
from feedback.surveys.models import SurveyAnswer, SurveyResponse
from fieldapp.models import HeldVisit
from tests.accounts.factories import RetailerFactory
from tests.accounts.test_merge_strands_nothing import DAY, World
from tests.users.factories import SupervisorFactory
from visits.models import Visit

PHONE = "13712345678"
ID_CARD = "410302198001010019"
BANK = "6222020200998877665"
EMAIL = "zhou.owner@example.com"


@pytest.fixture
def second_supervisor(county_a):
    return SupervisorFactory(username="supervisor_a2", display_name="钱主管", org_unit=county_a)


@pytest.fixture
def person(company_admin, county_a, route_a):
    """A shop on route_a with every kind of record, and its owner's values in free text too."""
    # the complaint categories of the data migration: a transactional test elsewhere may have flushed them
    import importlib

    from django.apps import apps

    importlib.import_module("feedback.migrations.0002_default_categories").seed(apps, None)
    world = World(admin=company_admin, county=county_a, route=route_a)
    shop = RetailerFactory(
        route=route_a,
        shop_name="老城隐私测试店",
        owner_name="周隐私",
        mobile=PHONE,
        owner_id_number=ID_CARD,
        bank_account=BANK,
        owner_birthday=datetime.date(1980, 1, 1),
    )
    retailer_update(actor=None, retailer=shop, data={"email": EMAIL})
    world.shop_with_everything(shop, planned_on=DAY, anonymised=False)
    text = f"店主周隐私 电话{PHONE} 身份证{ID_CARD} 卡号{BANK} {EMAIL}"
    ConsentEvent.objects.filter(retailer=shop).update(source=f"电话{PHONE}")
    Violation.objects.filter(retailer=shop).update(notes=text)
    complaint = Complaint.objects.filter(retailer=shop).first()
    Complaint.objects.filter(pk=complaint.pk).update(description=text)
    ComplaintEvent.objects.filter(complaint=complaint).update(text=text)
    Visit.objects.filter(retailer=shop).update(notes=text)
    HeldVisit.objects.filter(retailer=shop).update(payload={"notes": text, "phone": PHONE})
    response = SurveyResponse.objects.get(retailer=shop)
    item = response.survey.questionnaire.areas.first().items.first()
    SurveyAnswer.objects.create(response=response, item=item, text=text)
    Delivery.objects.filter(retailer=shop).update(address=PHONE, state="delivered")
    InboundReply.objects.create(from_number=PHONE, text="T", received_at=timezone.now())
    # an old consent, past the send log's retention: deleted on erasure
    ConsentEvent.objects.create(
        retailer=shop,
        channel="sms",
        granted=True,
        source=f"旧授权{PHONE}",
        created_at=timezone.now() - datetime.timedelta(days=400),
    )
    # logs and files that mention the person without a reference: an export searched by the phone, an import
    # file's preview and error report, a recorded change made from a page whose address carries the phone
    RetailerExport.objects.create(user=company_admin, filters={"q": PHONE}, row_count=1)
    job = ImportJob.objects.create(
        kind="retailers", original_name="客户.csv", created_by=company_admin, preview=[{"mobile": PHONE}]
    )
    ImportRowError.objects.create(job=job, row_no=2, column="手机号", value=PHONE, message="重复")
    Context.objects.create(
        id=uuid.uuid4(), metadata={"url": f"/retailers/?q={PHONE}", "user": company_admin.pk}
    )
    shop.refresh_from_db()
    return shop
