"""The demo complaints build through the services into every state, with real times in the past."""

import pytest
from django.core.management import call_command

from feedback.complaints.models import Complaint
from tests.feedback.conftest import local

pytestmark = pytest.mark.django_db


def test_demo_complaints_cover_the_states_and_run_once(retailer_a, retailer_b, clock, settings, tmp_path):
    settings.CAMPAIGNS_SMS_BACKEND = "file"
    settings.CAMPAIGNS_SMS_FILE_DIR = tmp_path
    clock.set(local(2026, 11, 24, 11, 0))
    call_command("complaints_seed_demo", "--if-empty", stdout=open("/dev/null", "w"))  # noqa: SIM115
    statuses = set(Complaint.objects.values_list("status", flat=True))
    assert {"resolved", "closed"} <= statuses
    assert Complaint.objects.count() > 60
    assert not Complaint.objects.filter(opened_at__gt=local(2026, 11, 24, 11, 0)).exists()
    assert not Complaint.objects.filter(follow_up="sms").exists()  # no texts about old cases
    before = Complaint.objects.count()
    call_command("complaints_seed_demo", "--if-empty", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Complaint.objects.count() == before
