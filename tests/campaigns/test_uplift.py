"""A campaign's order uplift against its holdout, measured from the weekly summaries on hand-built numbers: the
window (whole local weeks from the launch's week), who counts on each side, the arithmetic, "样本不足" under the
minimum group size, and what the card, the detail page and the API show."""

import datetime

import pytest

from campaigns.models import Campaign, CampaignUplift, Delivery
from campaigns.services.uplift import campaign_uplifts_refresh
from sales.models import RetailerPeriodSummary
from tests.accounts.factories import RetailerFactory
from tests.campaigns.factories import CampaignFactory
from tests.feedback.conftest import local

pytestmark = pytest.mark.django_db

MON = datetime.date(2026, 3, 2)  # the launch week's Monday


def week(n: int) -> datetime.date:
    return MON + datetime.timedelta(weeks=n)


@pytest.fixture
def measured(route_a, sms_template):
    """Launched on Monday 2 March 2026 at 01:00 in Shanghai (still Sunday in UTC), 14 days to convert: the window
    is the weeks of 2, 9 and 16 March (to Sunday 22 March).

    treated: t1 ordered ¥100 (week 0); t2 ¥200 + ¥50 (weeks 1 and 2); t3 only after the window; t4 only the week
             before the launch; t5 nothing (its month summary does not count) — 5 shops, 2 ordered, ¥350
    holdout: h1 ¥80 (week 1); h2–h4 nothing — 4 shops, 1 ordered, ¥80
    a cancelled delivery (c1, who ordered) counts on neither side."""
    campaign = CampaignFactory(
        template=sms_template,
        org_unit=sms_template.org_unit,
        state=Campaign.State.DONE,
        launched_at=local(2026, 3, 2, 1, 0),
        conversion_days=14,
        holdout_pct=40,
    )
    shops = {
        name: RetailerFactory(route=route_a)
        for name in ("t1", "t2", "t3", "t4", "t5", "h1", "h2", "h3", "h4", "c1")
    }
    Delivery.objects.bulk_create(
        Delivery(
            campaign=campaign,
            retailer=shop,
            channel="sms",
            is_holdout=name.startswith("h"),
            state="holdout" if name.startswith("h") else "cancelled" if name == "c1" else "delivered",
        )
        for name, shop in shops.items()
    )
    summaries = [
        ("t1", "week", week(0), 10_000),
        ("t2", "week", week(1), 20_000),
        ("t2", "week", week(2), 5_000),
        ("t3", "week", week(3), 40_000),
        ("t4", "week", week(-1), 40_000),
        ("t5", "month", datetime.date(2026, 3, 1), 40_000),
        ("h1", "week", week(1), 8_000),
        ("c1", "week", week(1), 40_000),
    ]
    RetailerPeriodSummary.objects.bulk_create(
        RetailerPeriodSummary(
            retailer=shops[name], period=period, period_start=start, order_count=1, cartons=1, amount_fen=fen
        )
        for name, period, start, fen in summaries
    )
    return campaign, shops


def test_uplift_is_the_treated_order_rate_minus_the_holdouts_over_the_window(measured):
    campaign, _shops = measured
    assert campaign_uplifts_refresh(now=local(2026, 3, 25, 9)) == 1
    u = CampaignUplift.objects.get(campaign=campaign)
    assert (u.window_start, u.window_end) == (datetime.date(2026, 3, 2), datetime.date(2026, 3, 22))
    assert (u.treated_n, u.treated_ordered, u.treated_amount_fen) == (5, 2, 35_000)
    assert (u.holdout_n, u.holdout_ordered, u.holdout_amount_fen) == (4, 1, 8_000)
    assert u.rate_uplift == pytest.approx(2 / 5 - 1 / 4)  # 15 points
    assert u.amount_uplift == pytest.approx(35_000 / 5 - 8_000 / 4)  # ¥50 per shop


def test_a_window_closed_two_weeks_ago_keeps_what_was_measured(measured):
    campaign, shops = measured
    campaign_uplifts_refresh(now=local(2026, 3, 25, 9))
    RetailerPeriodSummary.objects.create(
        retailer=shops["t5"], period="week", period_start=week(2), order_count=1, cartons=1, amount_fen=1
    )
    campaign_uplifts_refresh(now=local(2026, 4, 20, 9))  # closed on 22 March: more than 14 days ago
    assert CampaignUplift.objects.get(campaign=campaign).treated_ordered == 2
    campaign_uplifts_refresh(now=local(2026, 4, 1, 9))  # a late import within the two weeks is taken in
    assert CampaignUplift.objects.get(campaign=campaign).treated_ordered == 3


def test_card_detail_and_api_show_the_uplift_with_both_group_sizes(
    measured, settings, client_for, api_client_for, supervisor_a, manager_a
):
    settings.CAMPAIGNS_UPLIFT_MIN_GROUP = 4
    campaign, _shops = measured
    campaign_uplifts_refresh(now=local(2026, 3, 25, 9))

    html = client_for(supervisor_a).get("/campaigns/").content.decode()
    card = html.split(f'data-uplift="{campaign.pk}"', 1)[1].split("</div>", 1)[0]
    assert "+15.0 个百分点" in card
    assert "发送组 5 · 对照组 4" in card

    detail = client_for(supervisor_a).get(campaign.get_absolute_url()).content.decode()
    assert 'id="uplift-rate" class="text-success">+15.0 个百分点' in detail
    assert 'id="uplift-amount">+¥50<' in detail
    assert "40.0%" in detail  # each group's order rate
    assert "25.0%" in detail

    body = api_client_for(supervisor_a).get(f"/api/v1/campaigns/{campaign.pk}/results/").json()["uplift"]
    assert (body["treated"]["n"], body["holdout"]["n"]) == (5, 4)
    assert body["rate_uplift"] == pytest.approx(0.15)
    assert body["amount_uplift_fen"] == pytest.approx(5_000)

    # a customer manager sees their own shops' counts, never the whole campaign's groups
    assert f'data-uplift="{campaign.pk}"' not in client_for(manager_a).get("/campaigns/").content.decode()


def test_too_small_a_group_says_sample_too_small_and_still_shows_the_sizes(
    measured, settings, client_for, api_client_for, supervisor_a
):
    settings.CAMPAIGNS_UPLIFT_MIN_GROUP = 5  # the holdout has 4
    campaign, _shops = measured
    campaign_uplifts_refresh(now=local(2026, 3, 25, 9))

    html = client_for(supervisor_a).get("/campaigns/").content.decode()
    card = html.split(f'data-uplift="{campaign.pk}"', 1)[1].split("</div>", 1)[0]
    assert "样本不足" in card
    assert "发送组 5 · 对照组 4" in card
    assert "个百分点" not in card
    detail = client_for(supervisor_a).get(campaign.get_absolute_url()).content.decode()
    assert 'id="uplift-short"' in detail
    body = api_client_for(supervisor_a).get(f"/api/v1/campaigns/{campaign.pk}/results/").json()["uplift"]
    assert (body["sufficient"], body["rate_uplift"]) == (False, None)
