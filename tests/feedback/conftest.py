"""Survey fixtures: a segment of county A, a survey over it with the seeded default questionnaire, an approved
SMS campaign whose template carries {{ survey_url }}, and a tiny questionnaire for hand-computed indices."""

import datetime
import importlib
import zoneinfo

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.services import retailer_consent_set
from campaigns.models import Campaign
from feedback.surveys.models import QuestionArea, QuestionItem, Questionnaire
from segmentation.segments.services import segment_create
from tests.campaigns.factories import CampaignFactory, TemplateFactory

EVERYONE = {"op": "and", "rules": []}
DEFAULT_CODE = "retail-satisfaction"


@pytest.fixture
def second_supervisor(county_a):
    from tests.users.factories import SupervisorFactory

    return SupervisorFactory(username="supervisor_a2", display_name="钱主管", org_unit=county_a)


@pytest.fixture
def segment_a(supervisor_a, county_a):
    return segment_create(user=supervisor_a, name="老城全部", org_unit=county_a, definition=EVERYONE)


def seeded_questionnaire() -> Questionnaire:
    """The questionnaire the data migration seeds (re-seeded if a transactional test flushed the tables)."""
    import importlib

    from django.apps import apps

    importlib.import_module("feedback.migrations.0011_default_questionnaire").seed(apps, None)
    return Questionnaire.objects.get(code=DEFAULT_CODE, version=1)


@pytest.fixture
def default_questionnaire(db):
    return seeded_questionnaire()


@pytest.fixture
def survey_campaign(supervisor_a, second_supervisor, county_a, segment_a):
    """An approved (by a second supervisor), never-sent SMS campaign carrying the survey link."""
    body = f"{settings.CAMPAIGNS_SMS_SIGNATURE}{{{{ shop_name }}}}您好，诚邀您参加满意度调查：{{{{ survey_url }}}} {settings.CAMPAIGNS_SMS_OPT_OUT_TEXT}"
    template = TemplateFactory(org_unit=county_a, created_by=supervisor_a, body=body)
    return CampaignFactory(
        template=template,
        org_unit=county_a,
        segment=segment_a,
        purpose="notice",
        created_by=supervisor_a,
        approved_by=second_supervisor,
        state=Campaign.State.APPROVED,
    )


def sms_consent(retailer):
    return retailer_consent_set(
        actor=None, retailer=retailer, channel="sms", granted=True, source="走访书面同意"
    )


@pytest.fixture
def tiny_questionnaire(db):
    """Two scored areas and an overall area, for arithmetic by hand:
    供应 (weight 3): a 1–5 item and a 1–10 item; 服务 (weight 1): one 1–5 item; 总体: NPS and a free text."""
    q = Questionnaire.objects.create(code="tiny", version=1, name="小问卷")
    supply = QuestionArea.objects.create(questionnaire=q, name="供应", weight=3, position=1)
    service = QuestionArea.objects.create(questionnaire=q, name="服务", weight=1, position=2)
    overall = QuestionArea.objects.create(questionnaire=q, name="总体", weight=1, position=3)
    items = {
        "s5": QuestionItem.objects.create(area=supply, text="货源满足需要", kind="scale5", position=1),
        "s10": QuestionItem.objects.create(area=supply, text="分配公平", kind="scale10", position=2),
        "v5": QuestionItem.objects.create(area=service, text="客户经理态度", kind="scale5", position=1),
        "nps": QuestionItem.objects.create(area=overall, text="推荐度", kind="nps", position=1),
        "text": QuestionItem.objects.create(
            area=overall, text="建议", kind="text", required=False, position=2
        ),
    }
    q.state, q.published_at = Questionnaire.State.PUBLISHED, q.created_at
    q.save()
    return q, items


# Complaint fixtures: a clock the services read (`at`), and the seeded categories (data migration 0002).


SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def clock(monkeypatch):
    """Sets what timezone.now() answers for the rest of the test: clock.set(local(2026, 9, 30, 16, 0))."""

    class Clock:
        now = None

        def set(self, moment):
            self.now = moment
            monkeypatch.setattr(timezone, "now", lambda: self.now)
            return moment

    return Clock()


@pytest.fixture
def on_weekday(clock):
    """A plain working Monday morning, 2026-11-23 09:00."""
    return clock.set(local(2026, 11, 23, 9, 0))


@pytest.fixture
def eager_tasks():
    """Celery tasks run in-process when enqueued (what a worker would do, without the broker)."""
    from crm.celery_app import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def seeded_categories(request):
    """The categories data migration 0002 seeds (get_or_create: a no-op normally). A transactional test flushes
    every table afterwards, so the next test would find none without this."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("_django_db_marker")
    from django.apps import apps

    importlib.import_module("feedback.migrations.0002_default_categories").seed(apps, None)
    importlib.import_module("feedback.migrations.0014_tier_appeals").seed_category(apps, None)


@pytest.fixture
def fresh_rate_limit(settings):
    """A private in-memory cache, so the link rate limit counts only this test's requests."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fb"}
    }
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def portal_token():
    from core.links import retailer_link_make
    from feedback.portal.links import PORTAL

    def make(retailer):
        return retailer_link_make(retailer_id=retailer.pk, purpose=PORTAL)

    return make


@pytest.fixture(autouse=True)
def photos_in_tmp(settings, tmp_path):
    """Uploaded complaint photos land in the test's own folder, never in the developer's .data/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


# the tier case of tests/segmentation/tier_cases.py (four graded shops of route A), for the tier appeals
from tests.imports.fixtures import default_bands  # noqa: E402, F401 - fixtures
from tests.segmentation.conftest import place_orders, product  # noqa: E402, F401 - fixtures
from tests.segmentation.tier_cases import four_shops, published, tier_rule  # noqa: E402, F401 - fixtures
