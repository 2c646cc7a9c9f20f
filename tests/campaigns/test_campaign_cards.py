"""The campaign list's cards tell campaigns apart: the whole name (no cut at the same point), what was sent,
delivered and clicked; a journey's run is named by what it is about and its day, not its occurrence key."""

import datetime

from django.utils import timezone

from campaigns.models import Delivery
from sales.models import Product
from tests.campaigns.conftest import sending_campaign


def test_cards_show_whole_names_and_sent_delivered_clicked(
    client_for, supervisor_a, sms_template, consenting
):
    name = "春节前高档烟促销活动（老城区第一营销部，2026 年 1 月第三周）"
    campaign = sending_campaign(template=sms_template, retailers=consenting, name=name, holdout_pct=0)
    ids = list(Delivery.objects.filter(campaign=campaign).order_by("id").values_list("id", flat=True))
    Delivery.objects.filter(id__in=ids[:3]).update(state="delivered")
    Delivery.objects.filter(id__in=ids[3:4]).update(state="sent")
    Delivery.objects.filter(id__in=ids[:2]).update(clicked_at=timezone.now())
    html = client_for(supervisor_a).get("/campaigns/").content.decode()
    assert f'<div class="campaign-name" title="{name}">{name}</div>' in html
    figures = html.split(f'data-campaign="{campaign.pk}"', 1)[1].split("</div>", 1)[0]
    assert "已发送 <strong>4</strong>" in figures
    assert "已送达 <strong>3</strong>" in figures
    assert "已点击 <strong>2</strong>" in figures


def test_a_product_is_named_once_when_its_name_carries_the_brand():
    assert str(Product(brand="七匹狼", name="七匹狼（红）")) == "七匹狼（红）"
    assert str(Product(brand="中华", name="软")) == "中华（软）"


def test_a_holiday_journey_run_is_named_by_the_holiday_and_day(
    county_a, supervisor_a, sms_template, consenting
):
    from campaigns.models import Journey
    from campaigns.services.journeys import journey_run_day

    journey = Journey.objects.create(
        kind=Journey.Kind.HOLIDAY, org_unit=county_a, channel="sms", template=sms_template, enabled=True
    )
    day = datetime.date(2026, 10, 1)
    runs = journey_run_day(journey=journey, day=day, now=timezone.now())
    assert runs, "National Day is a holiday of the calendar"
    assert runs[0].name == f"{Journey.Kind.HOLIDAY.label} · 国庆节 · 2026-10-01"
    assert ":" not in runs[0].name
