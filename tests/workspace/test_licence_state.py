"""The licence state told one way everywhere: the helper's rule, and the portrait saying the same in its key fact,
its licence section and its alert (no "已过期 840 天" beside a green "有效"); the tier request starts at the
current tier."""

import datetime

import pytest
from django.utils import timezone

from accounts.licence import licence_state
from accounts.models import Retailer

TODAY = datetime.date(2026, 12, 7)


@pytest.mark.parametrize(
    ("status", "days", "code", "tone", "label"),
    [
        ("valid", -840, "expired", "danger", "已过期 840 天 · 停止供货"),
        ("revoked", 400, "stopped", "danger", "吊销 · 停止供货"),
        ("valid", 0, "urgent", "danger", "今天到期"),
        ("valid", 10, "urgent", "danger", "剩 10 天"),
        ("valid", 60, "soon", "warning", "剩 60 天"),
        ("valid", 200, "valid", "success", "有效"),
    ],
)
def test_the_rule(status, days, code, tone, label):
    state = licence_state(
        status=status,
        status_label=Retailer.LicenceStatus(status).label,
        expires_on=TODAY + datetime.timedelta(days=days),
        today=TODAY,
    )
    assert (state.code, state.tone, state.label) == (code, tone, label)
    assert state.supply_stopped is (code in ("expired", "stopped"))


@pytest.mark.django_db
def test_the_portrait_tells_an_expired_licence_the_same_way_in_each_place(retailer_a, manager_a, client_for):
    expires = timezone.localdate() - datetime.timedelta(days=840)
    Retailer.objects.filter(pk=retailer_a.pk).update(
        licence_issued_on=expires - datetime.timedelta(days=1800), licence_expires_on=expires
    )
    html = client_for(manager_a).get(retailer_a.get_absolute_url()).content.decode()
    countdown = html.split('id="licence-countdown"')[1].split("</div>\n    </div>")[0]
    status = html.split('id="licence-status"')[1].split("</dd>")[0]
    alert = html.split('id="licence-alert"')[1].split("</div>")[0]
    for part in (countdown, status, alert):
        assert "已过期 840 天 · 停止供货" in part
    assert "text-success" not in status
    assert 'data-licence-state="expired"' in status


@pytest.mark.django_db
def test_the_tier_request_starts_at_the_current_tier(retailer_a, manager_a, client_for):
    html = client_for(manager_a).get(f"/segmentation/retailers/{retailer_a.pk}/scores/").content.decode()
    assert '<option value="10" selected>10 （当前）</option>' in html
    assert html.count(" selected>") == 1
