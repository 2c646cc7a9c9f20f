"""Proof of visit on a hand-built day of one customer manager: a spoofed route (two check-ins 40 km apart ten
minutes apart, the same coordinates at three shops, one photo used for two visits) is flagged with the right reasons
and leaves coverage; a normal visit is not flagged and counts. Then each remaining signal on its own (GPS accuracy,
device clock, working hours, a photo's EXIF time and place), the stamp, and the supervisor's review on every path
(page, API, admin) found by enumeration."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver, reverse
from django.utils import timezone

from core.errors import ConflictError
from tests.accounts.factories import RetailerFactory
from tests.visits.factories import VisitPlanFactory, VisitPolicyFactory, located_shop
from tests.visits.photos import jpeg
from visits.coverage.selectors import coverage
from visits.models import Visit, VisitPolicy
from visits.trust.services import visit_review

pytestmark = pytest.mark.django_db

D = Decimal
HOME = (D("34.500000"), D("112.500000"))


@pytest.fixture
def all_day(db):
    """Working hours over the whole day, so the signals under test are the only ones (off-hours has its own test)."""
    return VisitPolicyFactory(work_starts_at=datetime.time(0, 0), work_ends_at=datetime.time(23, 59, 59))


def shop(route, lat, lng):
    return located_shop(RetailerFactory(route=route), D(lat), D(lng))


def codes(visit):
    visit.refresh_from_db()
    return sorted(r["code"] for r in visit.trust_reasons)


def photo(data: bytes, name="p.jpg"):
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


@pytest.fixture
def spoofed_day(all_day, media_in_tmp, record, manager_a, route_a):
    now = timezone.now().replace(microsecond=0)
    t0 = now - datetime.timedelta(hours=20)
    at = lambda minutes: t0 + datetime.timedelta(minutes=minutes)  # noqa: E731
    s1 = shop(route_a, "34.000000", "112.000000")
    s2 = shop(route_a, "34.360000", "112.000000")  # 40 km north of s1
    s3, s4, s5 = (shop(route_a, "34.500000", f"112.50{i}000") for i in range(3))  # ~100 m apart
    s6 = shop(route_a, "34.500000", "112.600000")
    s7 = shop(route_a, "34.500000", "112.610000")
    s8 = shop(route_a, "34.500000", "112.700000")
    visits = {}
    # 1. two check-ins 40 km apart, ten minutes apart
    visits["s1"] = record(
        manager_a, s1, latitude=s1.latitude, longitude=s1.longitude, accuracy_m=10, checked_in_at=at(0)
    )
    visits["s2"] = record(
        manager_a, s2, latitude=s2.latitude, longitude=s2.longitude, accuracy_m=10, checked_in_at=at(10)
    )
    # 2. the same coordinates at three shops (each within the radius of its shop: distance alone passes)
    for i, s in enumerate((s3, s4, s5)):
        visits[f"s{3 + i}"] = record(
            manager_a, s, latitude=HOME[0], longitude=HOME[1], accuracy_m=10, checked_in_at=at(300 + 60 * i)
        )
    # 3. one photo for two visits; the second copy's EXIF was rewritten to match its visit (metadata is ignored)
    body = b"\x12\x34" * 400
    visits["s6"] = record(
        manager_a,
        s6,
        latitude=s6.latitude,
        longitude=s6.longitude,
        accuracy_m=10,
        checked_in_at=at(600),
        photos=[photo(jpeg(body))],
    )
    taken = timezone.localtime(at(660)).replace(tzinfo=None)
    visits["s7"] = record(
        manager_a,
        s7,
        latitude=s7.latitude,
        longitude=s7.longitude,
        accuracy_m=10,
        checked_in_at=at(660),
        photos=[photo(jpeg(body, taken=taken, lat=s7.latitude, lng=s7.longitude))],
    )
    # 4. a normal visit: at the shop, accurate, its own photo taken there and then
    visits["s8"] = record(
        manager_a,
        s8,
        latitude=s8.latitude,
        longitude=s8.longitude,
        accuracy_m=8,
        checked_in_at=at(900),
        device_time=now,
        photos=[
            photo(
                jpeg(
                    b"\x56" * 700,
                    taken=timezone.localtime(at(899)).replace(tzinfo=None),
                    lat=s8.latitude,
                    lng=s8.longitude,
                )
            )
        ],
    )
    for v in visits.values():
        VisitPlanFactory(
            retailer=v.retailer, planned_on=v.visited_on, manager=manager_a, route=route_a, frequency="weekly"
        )
    return visits


def test_a_spoofed_route_is_flagged_with_the_right_reasons_and_a_normal_visit_is_not(spoofed_day):
    v = spoofed_day
    assert codes(v["s1"]) == ["speed"]
    assert codes(v["s2"]) == ["speed"]
    assert codes(v["s3"]) == codes(v["s4"]) == codes(v["s5"]) == ["same_coordinates"]
    assert codes(v["s6"]) == codes(v["s7"]) == ["photo_reused"]
    assert codes(v["s8"]) == []
    assert v["s8"].trust == Visit.Trust.OK
    assert {x.trust for k, x in v.items() if k != "s8"} == {Visit.Trust.DOUBTFUL}
    # the reasons in words
    assert re.fullmatch(
        r"与 \d\d-\d\d \d\d:\d\d 在.+的签到相距 40\.0 公里、仅隔 10 分钟（约 240 公里/小时）",
        v["s2"].trust_reason_texts[0],
    )
    assert v["s5"].trust_reason_texts == [
        f"相同坐标也用于另外 2 家店铺的签到（{'、'.join(sorted([v['s3'].retailer.shop_name, v['s4'].retailer.shop_name]))}）"
    ]
    assert v["s3"].trust_reasons[-1]["params"]["n"] == 2  # the first shop learns of both later ones
    assert v["s7"].trust_reason_texts == [
        f"照片与 {v['s6'].visited_on} 在{v['s6'].retailer.shop_name}的走访照片相同"
    ]


def test_flagged_visits_leave_coverage_and_the_flag_rate_shows_per_manager(spoofed_day, supervisor_a):
    days = [x.visited_on for x in spoofed_day.values()]
    period = {
        "day_from": min(days) - datetime.timedelta(days=7),
        "day_to": max(days) + datetime.timedelta(days=7),
    }
    (row,) = coverage(user=supervisor_a, **period)
    assert (row.planned, row.done, row.visits, row.doubtful, row.flag_rate_pct) == (8, 1, 8, 7, D("87.5"))
    # a supervisor accepts one: it counts; a rejected one does not
    visit_review(actor=supervisor_a, visit=spoofed_day["s1"], accept=True)
    visit_review(actor=supervisor_a, visit=spoofed_day["s2"], accept=False, reason="两店相距 40 公里")
    (row,) = coverage(user=supervisor_a, **period)
    assert (row.done, row.doubtful) == (2, 6)
    # configurable: count every visit
    VisitPolicy.objects.update(coverage_trusted_only=False)
    (row,) = coverage(user=supervisor_a, **period)
    assert (row.done, row.doubtful, row.flag_rate_pct) == (8, 6, D("75.0"))


def test_each_other_signal_gives_its_reason(all_day, media_in_tmp, record, manager_a, route_a):
    now = timezone.now()
    s = shop(route_a, "34.000000", "112.000000")
    poor = record(manager_a, s, latitude=s.latitude, longitude=s.longitude, accuracy_m=800)
    assert codes(poor) == ["accuracy"]
    assert poor.trust_reason_texts == ["定位精度约 800 米，差于 100 米"]
    clock = record(
        manager_a,
        s,
        latitude=s.latitude,
        longitude=s.longitude,
        accuracy_m=5,
        device_time=now - datetime.timedelta(hours=3),
    )
    assert codes(clock) == ["device_clock"]
    assert clock.trust_reason_texts == ["手机时间与服务器相差 180 分钟"]
    far = record(manager_a, s, latitude=D("34.010000"), longitude=s.longitude, accuracy_m=5)
    assert codes(far) == ["too_far"]
    nowhere = record(manager_a, s)
    assert codes(nowhere) == ["no_location"]
    old_and_elsewhere = jpeg(
        b"\x99" * 300,
        taken=timezone.localtime(now - datetime.timedelta(days=3)).replace(tzinfo=None),
        lat=D("34.500000"),
        lng=D("112.000000"),
    )
    exif = record(
        manager_a,
        s,
        latitude=s.latitude,
        longitude=s.longitude,
        accuracy_m=5,
        checked_in_at=now,
        photos=[photo(old_and_elsewhere)],
    )
    assert codes(exif) == ["photo_place", "photo_time"]
    assert exif.photos.get().taken_at is not None
    assert any(t.startswith("照片拍摄位置距签到位置 55") for t in exif.trust_reason_texts)


def test_a_check_in_outside_working_hours_is_doubtful(media_in_tmp, record, manager_a, route_a):
    VisitPolicyFactory(work_starts_at=datetime.time(7, 0), work_ends_at=datetime.time(20, 0))
    s = shop(route_a, "34.000000", "112.000000")
    local_now = timezone.localtime()
    late = local_now.replace(hour=23, minute=30, second=0, microsecond=0)
    if late > local_now:
        late -= datetime.timedelta(days=1)
    night = record(manager_a, s, latitude=s.latitude, longitude=s.longitude, accuracy_m=5, checked_in_at=late)
    assert codes(night) == ["off_hours"]
    assert night.trust_reason_texts == ["签到时间 23:30 不在工作时间 07:00–20:00 内"]
    noon = local_now.replace(hour=12, minute=0, second=0, microsecond=0)
    if noon > local_now:
        noon -= datetime.timedelta(days=1)
    noon = record(manager_a, s, latitude=s.latitude, longitude=s.longitude, accuracy_m=5, checked_in_at=noon)
    assert codes(noon) == []


def test_the_stamped_copy_carries_shop_manager_time_and_distance(
    spoofed_day, client_for, manager_a, manager_b
):
    visit = spoofed_day["s8"]
    p = visit.photos.get()
    url = reverse("visits:visit-photo-stamped", args=[visit.pk, p.pk])
    response = client_for(manager_a).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    svg = b"".join(response.streaming_content).decode()
    local = timezone.localtime(visit.checked_in_at)
    for part in (
        visit.retailer.shop_name,
        visit.retailer.customer_code,
        str(manager_a),
        f"{local:%Y-%m-%d %H:%M}",
        f"距店铺 {visit.distance_m} 米",
        "data:image/jpeg;base64,",
    ):
        assert part in svg
    assert "<script" not in svg
    assert client_for(manager_b).get(url).status_code == 404
    # the original is unchanged
    assert b"".join(client_for(manager_a).get(p.get_absolute_url()).streaming_content)[:2] == b"\xff\xd8"


def test_only_a_supervisor_decides_a_doubtful_visit_once_and_a_rejection_needs_a_reason(
    spoofed_day, supervisor_a, manager_a
):
    with pytest.raises(ValidationError):
        visit_review(actor=supervisor_a, visit=spoofed_day["s1"], accept=False, reason="  ")
    with pytest.raises(ConflictError):
        visit_review(actor=manager_a, visit=spoofed_day["s1"], accept=True)
    with pytest.raises(ConflictError):  # not doubtful
        visit_review(actor=supervisor_a, visit=spoofed_day["s8"], accept=True)
    visit_review(actor=supervisor_a, visit=spoofed_day["s1"], accept=True)
    with pytest.raises(ConflictError):  # decided once
        visit_review(actor=supervisor_a, visit=spoofed_day["s1"], accept=False, reason="x")


def _review_paths():
    """Every page route and API action of visits whose name says review (found in the URL resolver)."""
    names = set()

    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, f"{prefix}{p.namespace}:" if p.namespace else prefix)
            elif (
                p.name
                and "review" in p.name
                and (prefix.startswith("visits:") or p.name.startswith("visit-"))
            ):
                names.add(prefix + p.name)

    walk(get_resolver().url_patterns)
    return names


def test_every_review_path_needs_the_review_permission_and_works_for_a_supervisor(
    spoofed_day, client_for, api_client_for, manager_a, supervisor_a, company_admin
):
    names = _review_paths()
    assert names == {"visits:review-queue", "visits:review-decide", "visit-review"}, names
    s1, s2, s3 = spoofed_day["s1"], spoofed_day["s2"], spoofed_day["s3"]
    manager, supervisor = client_for(manager_a), client_for(supervisor_a)
    api_name = "visit-review"
    # a manager (no review permission) is refused on every path
    assert manager.get(reverse("visits:review-queue")).status_code == 403
    assert (
        manager.post(reverse("visits:review-decide", args=[s1.pk]), {"decision": "accept"}).status_code == 403
    )
    assert (
        api_client_for(manager_a).post(reverse(api_name, args=[s1.pk]), {"decision": "accept"}).status_code
        == 403
    )
    # the supervisor: the queue lists the doubtful ones with reasons
    page = supervisor.get(reverse("visits:review-queue"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('class="card p-2 h-100 review-item"') == 7
    assert "相同坐标也用于另外" in html
    assert "仅隔 10 分钟" in html
    # page: reject without reason changes nothing; with a reason it rejects
    supervisor.post(reverse("visits:review-decide", args=[s1.pk]), {"decision": "reject", "reason": ""})
    s1.refresh_from_db()
    assert s1.trust == Visit.Trust.DOUBTFUL
    response = supervisor.post(
        reverse("visits:review-decide", args=[s1.pk]), {"decision": "reject", "reason": "虚假"}
    )
    assert response.status_code == 302
    s1.refresh_from_db()
    assert (s1.trust, s1.review_reason, s1.reviewed_by) == (Visit.Trust.REJECTED, "虚假", supervisor_a)
    # API: accept; again is 409
    api = api_client_for(supervisor_a)
    answer = api.post(reverse(api_name, args=[s2.pk]), {"decision": "accept"}, format="json")
    assert answer.status_code == 200
    assert answer.json()["trust"] == "accepted"
    assert api.post(reverse(api_name, args=[s2.pk]), {"decision": "accept"}, format="json").status_code == 409
    listed = api.get(reverse("visit-list"), {"trust": "doubtful"})
    assert listed.status_code == 200
    assert len(listed.json()["results"]) == 5
    # admin: every action of the visit admin decides through the service, for a reviewer only
    model_admin = admin.site._registry[Visit]
    assert {"accept_visits", "reject_visits"} <= set(model_admin.get_actions(_request(company_admin)))
    assert not {"accept_visits", "reject_visits"} & set(model_admin.get_actions(_request(manager_a)))
    admin_client = client_for(company_admin)
    changelist = reverse("admin:visits_visit_changelist")
    ask = admin_client.post(changelist, {"action": "reject_visits", "_selected_action": [s3.pk]})
    assert ask.status_code == 200
    assert "理由" in ask.content.decode()
    done = admin_client.post(
        changelist,
        {"action": "reject_visits", "_selected_action": [s3.pk], "confirm": "1", "reason": "同一坐标"},
    )
    assert done.status_code == 302
    s3.refresh_from_db()
    assert (s3.trust, s3.review_reason) == (Visit.Trust.REJECTED, "同一坐标")


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request
