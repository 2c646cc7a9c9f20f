"""活动增量 on the cockpit from hand-built campaign results (campaigns.CampaignUplift as the hourly job stores
them): each campaign against its own holdout, weighted by its treated group, rolled up the org tree; both group
sizes on the card; "样本不足" when no campaign of the unit has both groups large enough; the drill-down lists the
campaigns behind the number."""

import datetime

import pytest

from campaigns.models import Campaign, CampaignUplift
from cockpit.models import KpiSnapshot, Period
from cockpit.selectors.cockpit import cockpit_get
from cockpit.services.snapshots import kpi_snapshots_refresh
from tests.campaigns.factories import CampaignFactory, TemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def results(dept_a, county_a, dept_b, supervisor_a, week, settings):
    """Windows closing in the week (on its Sunday), minimum group 3:

    A (dept_a):   treated 5, 2 ordered; holdout 4, 1 ordered  → 2 − 5 × 1/4 = 0.75 extra orderers
    B (county_a): treated 4, 3 ordered; holdout 4, 2 ordered  → 3 − 4 × 2/4 = 1 extra orderer
    C (dept_b):   treated 2, 2 ordered; holdout 1, 0 ordered  → too small
    D (dept_a):   a window closing the week after: not this week's"""
    settings.CAMPAIGNS_UPLIFT_MIN_GROUP = 3
    template = TemplateFactory(org_unit=county_a, created_by=supervisor_a)
    sunday = week + datetime.timedelta(days=6)
    rows = {
        "A": (dept_a, sunday, 5, 2, 4, 1),
        "B": (county_a, sunday, 4, 3, 4, 2),
        "C": (dept_b, sunday, 2, 2, 1, 0),
        "D": (dept_a, sunday + datetime.timedelta(days=7), 50, 50, 50, 0),
    }
    for name, (unit, end, tn, to, hn, ho) in rows.items():
        campaign = CampaignFactory(
            name=name, template=template, org_unit=unit, state=Campaign.State.DONE, holdout_pct=40
        )
        CampaignUplift.objects.create(
            campaign=campaign,
            window_start=end - datetime.timedelta(days=20),
            window_end=end,
            treated_n=tn,
            treated_ordered=to,
            holdout_n=hn,
            holdout_ordered=ho,
        )


def _value(unit, week):
    return KpiSnapshot.objects.get(org_unit=unit, period="week", period_start=week, kpi="campaign_uplift")


def test_uplift_weighs_each_campaign_against_its_own_holdout(
    results, dept_a, county_a, dept_b, company, week
):
    kpi_snapshots_refresh(period=Period.WEEK, start=week)
    assert _value(dept_a, week).value == pytest.approx(0.75 / 5)  # one campaign: 2/5 − 1/4
    county = _value(county_a, week)
    # (0.75 + 1) extra orderers over 9 treated shops; pooling the groups would say 5/9 − 3/8
    assert county.value == pytest.approx(1.75 / 9)
    assert county.extra == {
        "campaigns": 2,
        "treated": 9,
        "holdout": 8,
        "short": 0,
        "short_treated": 0,
        "short_holdout": 0,
    }
    assert _value(dept_b, week).value is None  # C alone is too small
    assert _value(company, week).extra["short"] == 1
    assert (
        not KpiSnapshot.objects.filter(kpi="campaign_uplift", manager__isnull=False).exclude(num=0).exists()
    )


def test_the_card_shows_the_group_sizes_or_sample_too_small(results, county_a, dept_b, company, week):
    kpi_snapshots_refresh(period=Period.WEEK, start=week)
    county = cockpit_get(unit=county_a, period=Period.WEEK, start=week).card("campaign_uplift")
    assert county.shown == "+19.4 个百分点"
    assert county.extra_text == "发送组 9 · 对照组 8"
    assert f"unit={county_a.pk}" in county.url
    assert f"measured_from={week.isoformat()}" in county.url

    small = cockpit_get(unit=dept_b, period=Period.WEEK, start=week).card("campaign_uplift")
    assert small.shown == "样本不足"
    assert small.extra_text == "发送组 2 · 对照组 1"
    whole = cockpit_get(unit=company, period=Period.WEEK, start=week).card("campaign_uplift")
    assert whole.extra_text == "发送组 9 · 对照组 8 · 另 1 个活动样本不足"


def test_the_drill_down_lists_the_campaigns_behind_the_number(
    results, client_for, supervisor_a, county_a, week
):
    kpi_snapshots_refresh(period=Period.WEEK, start=week)
    url = cockpit_get(unit=county_a, period=Period.WEEK, start=week).card("campaign_uplift").url
    html = client_for(supervisor_a).get(url).content.decode()
    names = {name for name in "ABCD" if f'title="{name}"' in html}
    assert names == {"A", "B"}  # C is another county's, D's window closes the week after
