"""The demo surveys build through the services and give the report a four-quarter trend."""

import datetime

from feedback.surveys.demo import demo_surveys_build
from feedback.surveys.indices import index_trend
from feedback.surveys.models import Survey, SurveyResponse
from tests.accounts.factories import RetailerFactory


def test_the_demo_builds_four_quarters_of_answered_surveys(
    route_a, supervisor_a, company_admin, default_questionnaire
):
    for fmt in ("B", "Z", "Y"):
        for _ in range(6):
            RetailerFactory(route=route_a, business_format=fmt)
    made = demo_surveys_build(today=datetime.date(2026, 11, 20))
    assert made["surveys"] == 4
    assert list(Survey.objects.order_by("period").values_list("period", "state")) == [
        ("2026Q1", "closed"),
        ("2026Q2", "closed"),
        ("2026Q3", "closed"),
        ("2026Q4", "fieldwork"),
    ]
    assert SurveyResponse.objects.count() == made["responses"] > 0
    trend = index_trend(user=supervisor_a)
    assert [t["period"] for t in trend] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert all(0 <= t["index"] <= 100 for t in trend)
