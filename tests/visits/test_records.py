"""Recording a visit: distance to the shop and the radius flag, check-in without location, the idempotency key,
photos, stock checks, a request turned into a complaint — and bad input changing nothing."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.errors import ConflictError
from feedback.complaints.models import Complaint
from tests.visits.factories import (
    SHOP_LAT,
    SHOP_LNG,
    CultivationProgrammeFactory,
    VisitPolicyFactory,
    located_shop,
)
from visits.geo import haversine_m
from visits.models import (
    CultivationTarget,
    Visit,
    VisitPhoto,
    VisitStockCheck,
)
from visits.records.services import VisitInput, visit_record

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# 0.001° of latitude on the mean Earth radius: 6 371 008.8 m × π / 180 × 0.001 = 111.195 m
METRES_PER_MILLIDEGREE = 111.195


def test_haversine_on_known_coordinates():
    assert haversine_m(34, 112, 34.001, 112) == pytest.approx(METRES_PER_MILLIDEGREE, abs=0.01)
    # along a parallel the metres shrink with cos(latitude): 111.195 × cos 34° = 92.184
    assert haversine_m(34, 112, 34, 112.001) == pytest.approx(92.184, abs=0.01)
    assert haversine_m(34, 112, 34, 112) == 0


@pytest.mark.parametrize(
    ("lat", "distance", "flag"),
    [
        ("34.004000", 445, Visit.LocationFlag.OK),  # 4 × 111.195 = 444.78 m
        ("34.004500", 500, Visit.LocationFlag.OK),  # 500.38 m rounds to 500: on the radius is inside
        ("34.005000", 556, Visit.LocationFlag.TOO_FAR),  # 555.98 m
    ],
)
def test_checkin_distance_is_computed_and_flagged_beyond_the_radius(
    manager_a, retailer_a, record, lat, distance, flag
):
    located_shop(retailer_a)
    visit = record(manager_a, retailer_a, latitude=Decimal(lat), longitude=SHOP_LNG, accuracy_m=20)
    assert visit.distance_m == distance
    assert visit.location_flag == flag


def test_radius_comes_from_the_policy(manager_a, retailer_a, record):
    VisitPolicyFactory(checkin_radius_m=600)
    located_shop(retailer_a)
    visit = record(manager_a, retailer_a, latitude=Decimal("34.005"), longitude=SHOP_LNG)
    assert (visit.distance_m, visit.location_flag) == (556, Visit.LocationFlag.OK)


def test_checkin_without_location_needs_a_reason_and_is_flagged(manager_a, retailer_a):
    with pytest.raises(ValidationError) as error:
        visit_record(actor=manager_a, retailer=retailer_a, idempotency_key=uuid.uuid4(), data=VisitInput())
    assert "未获取到位置时，请说明原因。" in error.value.messages
    assert not Visit.objects.exists()

    visit, created = visit_record(
        actor=manager_a,
        retailer=retailer_a,
        idempotency_key=uuid.uuid4(),
        data=VisitInput(no_location_reason="手机定位权限被关闭"),
    )
    assert created
    assert visit.location_flag == Visit.LocationFlag.NO_LOCATION
    assert visit.no_location_reason == "手机定位权限被关闭"
    assert visit.distance_m is None


def test_shop_without_coordinates_is_marked_not_measured(manager_a, retailer_a, record):
    visit = record(manager_a, retailer_a, latitude=SHOP_LAT, longitude=SHOP_LNG)
    assert (visit.location_flag, visit.distance_m) == (Visit.LocationFlag.SHOP_UNLOCATED, None)


def test_half_a_coordinate_is_refused(manager_a, retailer_a):
    with pytest.raises(ValidationError):
        visit_record(
            actor=manager_a,
            retailer=retailer_a,
            idempotency_key=uuid.uuid4(),
            data=VisitInput(latitude=SHOP_LAT),
        )
    assert not Visit.objects.exists()


def test_same_key_twice_records_one_visit(manager_a, retailer_a):
    key = uuid.uuid4()
    data = VisitInput(no_location_reason="无信号", notes="宣传了新版价签")
    first, created_first = visit_record(actor=manager_a, retailer=retailer_a, idempotency_key=key, data=data)
    again, created_again = visit_record(
        actor=manager_a,
        retailer=retailer_a,
        idempotency_key=key,
        data=VisitInput(no_location_reason="x", notes="改"),
    )
    assert (created_first, created_again) == (True, False)
    assert again.pk == first.pk
    assert Visit.objects.get().notes == "宣传了新版价签"


def test_same_key_for_another_shop_is_a_conflict(manager_a, retailer_a, route_a):
    from tests.accounts.factories import RetailerFactory

    other = RetailerFactory(route=route_a)
    key = uuid.uuid4()
    visit_record(
        actor=manager_a, retailer=retailer_a, idempotency_key=key, data=VisitInput(no_location_reason="x")
    )
    with pytest.raises(ConflictError):
        visit_record(
            actor=manager_a, retailer=other, idempotency_key=key, data=VisitInput(no_location_reason="x")
        )
    assert Visit.objects.count() == 1


def test_checkin_time_from_the_phone_is_kept_within_a_day(manager_a, retailer_a):
    earlier = timezone.now() - datetime.timedelta(hours=3)
    visit, _ = visit_record(
        actor=manager_a,
        retailer=retailer_a,
        idempotency_key=uuid.uuid4(),
        data=VisitInput(no_location_reason="x", checked_in_at=earlier),
    )
    assert visit.checked_in_at == earlier
    with pytest.raises(ValidationError):
        visit_record(
            actor=manager_a,
            retailer=retailer_a,
            idempotency_key=uuid.uuid4(),
            data=VisitInput(
                no_location_reason="x", checked_in_at=timezone.now() - datetime.timedelta(days=2)
            ),
        )
    assert Visit.objects.count() == 1


def test_photos_are_checked_by_content_and_a_bad_one_writes_nothing(manager_a, retailer_a, record):
    good = SimpleUploadedFile("shop.png", PNG, content_type="image/png")
    fake = SimpleUploadedFile("shop.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    with pytest.raises(ValidationError) as error:
        record(manager_a, retailer_a, photos=[good, fake])
    assert "“shop.jpg”不是 JPEG、PNG 或 WebP 图片。" in error.value.messages
    assert not Visit.objects.exists()
    assert not VisitPhoto.objects.exists()

    good.seek(0)
    visit = record(manager_a, retailer_a, photos=[good])
    photo = visit.photos.get()
    assert (photo.ext, photo.size_bytes) == (".png", len(PNG))
    assert photo.image.name.endswith(".png")


def test_stock_checks_only_for_running_programmes_the_shop_is_targeted_by(
    manager_a, retailer_a, products, dept_a, record
):
    today = timezone.localdate()
    running = CultivationProgrammeFactory(
        name="天叶培育",
        product=products["HJY"],
        org_unit=dept_a,
        starts_on=today - datetime.timedelta(days=10),
        ends_on=today + datetime.timedelta(days=20),
        goal_selling_retailers=10,
        goal_sell_through_pct=150,
        created_by=manager_a,
    )
    CultivationTarget.objects.create(programme=running, retailer=retailer_a, source="hand")
    other = CultivationProgrammeFactory(
        name="玉溪培育",
        product=products["YX"],
        org_unit=dept_a,
        starts_on=today,
        ends_on=today,
        goal_selling_retailers=1,
        goal_sell_through_pct=100,
        created_by=manager_a,
    )
    with pytest.raises(ValidationError):
        record(manager_a, retailer_a, stock={running.pk: True, other.pk: False})
    assert not Visit.objects.exists()

    visit = record(manager_a, retailer_a, stock={running.pk: False})
    assert list(VisitStockCheck.objects.values_list("visit", "programme", "in_stock")) == [
        (visit.pk, running.pk, False)
    ]


def test_a_request_becomes_a_complaint_from_the_visit(manager_a, retailer_a, record, complaint_categories):
    visit = record(
        manager_a, retailer_a, request_category="supply", request_text="黄金叶（天叶）连续三周订不到货。"
    )
    complaint = Complaint.objects.get()
    assert complaint.channel == Complaint.Channel.VISIT
    assert complaint.retailer == retailer_a
    assert complaint.description == "黄金叶（天叶）连续三周订不到货。"
    assert complaint.visit_ref == f"V{visit.pk}"
    assert visit.complaint_ref == str(complaint.pk)


def test_a_request_with_an_unknown_category_records_neither_visit_nor_complaint(
    manager_a, retailer_a, record
):
    with pytest.raises(ValidationError):
        record(manager_a, retailer_a, request_category="nonsense", request_text="有问题")
    assert not Visit.objects.exists()
    assert not Complaint.objects.exists()
