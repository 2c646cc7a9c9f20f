"""The violation pages: junk input answers a form error, and voiding never redirects off-site."""

import pytest
from django.utils import timezone

from accounts.compliance.models import Violation
from accounts.compliance.services import violation_record

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity", "-Infinity", "1e999999"])
def test_a_fine_that_is_not_a_number_is_a_form_error_not_a_crash(
    client_for, supervisor_a, retailer_a, amount
):
    response = client_for(supervisor_a).post(
        "/retailers/violations/new/",
        {
            "retailer": retailer_a.licence_no,
            "occurred_on": TODAY.isoformat(),
            "type": "minors",
            "penalty": "fine",
            "fine_yuan": amount,
            "source": "inspection",
        },
    )
    assert response.status_code == 400
    assert not Violation.objects.exists()


def test_voiding_does_not_redirect_to_another_site(client_for, supervisor_a, retailer_a):
    violation = violation_record(
        actor=supervisor_a,
        retailer=retailer_a,
        data={"occurred_on": TODAY, "type": "licence_hidden", "penalty": "warning", "source": "inspection"},
    )
    client = client_for(supervisor_a)
    response = client.post(
        f"/retailers/violations/{violation.pk}/void/",
        {"void_reason": "录错了", "next": "https://evil.example/phish"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    violation.refresh_from_db()
    assert violation.voided_at is not None
    # a page of this site is still where the user goes back to
    other = violation_record(
        actor=supervisor_a,
        retailer=retailer_a,
        data={"occurred_on": TODAY, "type": "licence_hidden", "penalty": "warning", "source": "inspection"},
    )
    response = client.post(
        f"/retailers/violations/{other.pk}/void/",
        {"void_reason": "录错了", "next": f"/retailers/{retailer_a.pk}/"},
    )
    assert response["Location"] == f"/retailers/{retailer_a.pk}/"
