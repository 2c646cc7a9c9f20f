"""The customer manager's hand-built routes (`routes`), shared by the workspace page's and API's tests."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Retailer
from feedback.complaints.models import Complaint
from feedback.complaints.services.intake import complaint_open
from tests.accounts.factories import RetailerFactory
from tests.imports.fixtures import default_bands, media_in_tmp  # noqa: F401 - fixtures
from tests.visits.conftest import complaint_categories, give_score, place_order, products, record  # noqa: F401
from tests.visits.factories import VisitPlanFactory


def _complaint(retailer, *, overdue=False, assignee=None):
    c = complaint_open(
        retailer=retailer, category_code="supply", description="断货三周无人回复", channel="phone"
    )
    now = timezone.now()
    changes = {"assignee": assignee} if assignee else {}
    if overdue:
        changes |= {
            "response_due": now - datetime.timedelta(hours=2),
            "resolution_due": now - datetime.timedelta(hours=1),
        }
    Complaint.objects.filter(pk=c.pk).update(**changes)
    return c


def _rated(retailer, rating, *, days_ago=1):
    c = complaint_open(retailer=retailer, category_code="supply", description="送货晚了", channel="phone")
    at = timezone.now() - datetime.timedelta(days=days_ago)
    Complaint.objects.filter(pk=c.pk).update(
        status=Complaint.Status.CLOSED,
        opened_at=at - datetime.timedelta(days=2),
        responded_at=at - datetime.timedelta(days=2),
        resolved_at=at - datetime.timedelta(days=1),
        closed_at=at - datetime.timedelta(days=1),
        rating=rating,
        rated_at=at,
    )
    return c


def _licence(retailer, days):
    expires = timezone.localdate() + datetime.timedelta(days)
    Retailer.objects.filter(pk=retailer.pk).update(
        licence_issued_on=expires - datetime.timedelta(days=5 * 365), licence_expires_on=expires
    )


@pytest.fixture
def routes(
    complaint_categories,  # noqa: F811 - the fixtures imported above, requested by name
    retailer_a,
    retailer_b,
    route_a,
    route_b,
    manager_a,
    manager_b,
    give_score,  # noqa: F811
    record,  # noqa: F811
):
    today = timezone.localdate()
    shop = {"a": retailer_a}
    for name in ("b", "c", "d", "e", "f"):
        shop[name] = RetailerFactory(
            route=route_a, shop_name=f"甲线{name}店", mobile=f"1370000{ord(name):04d}"
        )
    other = {"x": retailer_b}
    # visits: a and b planned today, b already visited today by manager_a
    for r, m in ((shop["a"], manager_a), (shop["b"], manager_a), (other["x"], manager_b)):
        VisitPlanFactory(retailer=r, planned_on=today, manager=m, route=r.route, frequency="weekly")
    record(manager_a, shop["b"])
    # complaints assigned: one overdue on c, one on time on d; one on the other route assigned to manager_b
    on_time = _complaint(shop["d"], assignee=manager_a)
    overdue = _complaint(shop["c"], overdue=True, assignee=manager_a)
    _complaint(other["x"], overdue=True, assignee=manager_b)
    # call-backs: e rated 1, f rated 2 but called since → gone; rated 4 does not count; x is manager_b's
    low = _rated(shop["e"], 1)
    _rated(shop["a"], 4)
    _rated(shop["f"], 2, days_ago=3)
    from feedback.complaints.hidden.models import HiddenComplaintCall

    HiddenComplaintCall.objects.create(
        retailer=shop["f"], reason="低分", outcome="no_issue", called_by=manager_a, called_at=timezone.now()
    )
    _rated(other["x"], 1)
    # licences: d in 10 days, c in 60, e expired 5 days ago, f expired 840 days ago; x expired (other route)
    _licence(shop["a"], 400)
    _licence(shop["b"], 400)
    _licence(shop["d"], 10)
    _licence(shop["c"], 60)
    _licence(shop["e"], -5)
    _licence(shop["f"], -840)
    _licence(other["x"], -3)
    Retailer.objects.filter(pk=shop["b"].pk).update(licence_status=Retailer.LicenceStatus.REVOKED)
    # high value at risk: a (lifecycle at risk), c (churn 0.8); d is mid value; x is manager_b's
    give_score(shop["a"], value_class="high", lifecycle="at_risk", churn_probability=0.4)
    give_score(shop["c"], value_class="high", lifecycle="active", churn_probability=0.8)
    give_score(shop["d"], value_class="mid", lifecycle="at_risk")
    give_score(other["x"], value_class="high", lifecycle="lost")
    return {"shop": shop, "other": other, "overdue": overdue, "on_time": on_time, "low": low}
