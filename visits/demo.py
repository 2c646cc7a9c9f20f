"""Demo field-work data for the demo retailers: plans for the last four weeks, this week and next (the nightly
job's own service), visits for about four in five past plans with realistic check-in flags, and one brand
cultivation programme targeted by its rule, with stock checks on the visits to its targets."""

import datetime

from django.db import connection, transaction
from django.utils import timezone

from sales.models import Product
from users.models import OrgUnit, User
from visits.cultivation.services import programme_create, programme_targets_by_rule
from visits.plans.services import plans_generate

TABLES = (
    "visits_visitstockcheck",
    "visits_visitphoto",
    "visits_visit",
    "visits_visitplan",
    "visits_cultivationtarget",
    "visits_cultivationprogramme",
    "visits_coverageexport",
    "visits_shopfacts",  # TRUNCATE fires no row trigger: the facts go with the rows they were computed from
)

# a visit for ~80% of past plans, on the planned day or the next; 85% located near the shop, 8% too far,
# 7% without a location (the reason given)
_VISITS_SQL = """
INSERT INTO visits_visit (idempotency_key, retailer_id, manager_id, route_id, visited_on, checked_in_at, latitude,
    longitude, accuracy_m, distance_m, location_flag, no_location_reason, licence_displayed, minors_sign, price_tags,
    display_ok, image_rating, notes, next_action, complaint_ref, created_at)
SELECT gen_random_uuid(), p.retailer_id, p.manager_id, p.route_id, d.day,
       (d.day + time '09:30' + (random() * interval '8 hours')) AT TIME ZONE 'Asia/Shanghai',
       CASE WHEN k.kind = 'none' OR r.latitude IS NULL THEN NULL ELSE r.latitude END,
       CASE WHEN k.kind = 'none' OR r.latitude IS NULL THEN NULL ELSE r.longitude END,
       CASE WHEN k.kind = 'none' THEN NULL ELSE 5 + floor(random() * 40)::int END,
       CASE WHEN r.latitude IS NULL OR k.kind = 'none' THEN NULL
            WHEN k.kind = 'far' THEN 600 + floor(random() * 1500)::int ELSE floor(random() * 300)::int END,
       CASE WHEN k.kind = 'none' THEN 'no_location' WHEN r.latitude IS NULL THEN 'shop_unlocated'
            WHEN k.kind = 'far' THEN 'too_far' ELSE 'ok' END,
       CASE WHEN k.kind = 'none' THEN '室内无定位信号' ELSE '' END,
       random() < 0.97, random() < 0.93, random() < 0.9, random() < 0.85,
       1 + floor(random() * 4)::int,
       (ARRAY['宣传货源投放政策', '推介新品规', '检查明码标价', '提醒许可证年审', '了解畅销品规'])[1 + floor(random() * 5)::int],
       '', '', now()
FROM visits_visitplan p
JOIN accounts_retailer r ON r.id = p.retailer_id
CROSS JOIN LATERAL (SELECT p.planned_on + (random() < 0.3)::int AS day) d
CROSS JOIN LATERAL (
    SELECT CASE WHEN x < 0.85 THEN 'near' WHEN x < 0.93 THEN 'far' ELSE 'none' END AS kind
    FROM (SELECT random() + 0 * p.id AS x) u  -- correlated, so drawn per plan
) k
WHERE p.planned_on < %(today)s AND random() < 0.8
"""

_STOCK_SQL = """
INSERT INTO visits_visitstockcheck (visit_id, programme_id, in_stock)
SELECT v.id, t.programme_id, random() < 0.4
FROM visits_cultivationtarget t
JOIN visits_visit v ON v.retailer_id = t.retailer_id AND v.visited_on >= %(starts_on)s
WHERE t.programme_id = %(programme)s
"""


def demo_visits_flush() -> None:
    """Empty the visit tables and what points at them from apps above (fieldapp's held visits): a TRUNCATE without
    CASCADE refuses a table another references, even an empty one, and this app may not know the tables above it."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")


def _cultivated_product() -> Product | None:
    """A class-2 or class-3 product on trial, else the active one of those classes bought by the fewest shops."""
    candidates = Product.objects.filter(price_class__in=(2, 3)).exclude(status=Product.Status.WITHDRAWN)
    return candidates.filter(status=Product.Status.TRIAL).order_by("code").first() or (
        candidates.order_by("wholesale_price_fen", "code").first()
    )


@transaction.atomic
def demo_visits_build(*, seed: int = 7, today: datetime.date | None = None, stdout=None) -> dict:
    today = today or timezone.localdate()
    plans = sum(plans_generate(week_of=today + datetime.timedelta(weeks=w)) for w in range(-4, 2))
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        cursor.execute(_VISITS_SQL, {"today": today})
        visits = cursor.rowcount
    result = {"plans": plans, "visits": visits, "targets": 0}
    product = _cultivated_product()
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    author = User.objects.filter(role=User.Role.ADMIN).order_by("pk").first()
    if product and root and author:
        programme = programme_create(
            actor=author,
            name=f"{product.brand}品牌培育",
            product=product,
            org_unit=root,
            starts_on=today - datetime.timedelta(days=21),
            ends_on=today + datetime.timedelta(days=39),
            goal_selling_retailers=50,
            goal_sell_through_pct=150,
            rule_weeks=8,
        )
        result["targets"] = programme_targets_by_rule(programme=programme)
        with connection.cursor() as cursor:
            cursor.execute(_STOCK_SQL, {"programme": programme.pk, "starts_on": programme.starts_on})
    if stdout:
        stdout.write(
            f"Visits demo: {result['plans']} plans, {result['visits']} visits, {result['targets']} cultivation targets"
        )
    return result
