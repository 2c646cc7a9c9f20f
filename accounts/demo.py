"""Demo retailers for `seed_demo`: realistic names, addresses, licences and the DOMAIN.md distributions,
written in bulk (100k rows in well under a minute)."""

import datetime
import random

import pgtrigger
from django.db import connection, transaction
from django.utils import timezone

from accounts.history import RETAILER_TRIGGERS, history_context_create, retailer_events_insert_sql
from accounts.imports.models import ImportJob
from accounts.models import ConsentEvent, Retailer, RetailerEvent, RetailerExport, SensitiveAccess
from accounts.parsers import ID_CARD_CHECK, ID_CARD_WEIGHTS

BATCH = 5000
DUPLICATE_SHARE = 0.004
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "建国",
    "建军",
    "国强",
    "志刚",
    "秀英",
    "桂兰",
    "玉兰",
    "红梅",
    "丽",
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "海",
    "亮",
    "辉",
    "鹏",
    "华",
    "飞",
    "鑫",
    "波",
    "宁",
    "凤英",
    "金凤",
    "小红",
    "晓燕",
    "春梅",
    "永红",
    "新民",
    "长青",
)
# weights follow DOMAIN.md: most licensed shops are small groceries
FORMATS = (("Z", 55), ("B", 20), ("Y", 12), ("S", 6), ("F", 4), ("Q", 2), ("N", 1))
SHOP_WORDS = {
    "Z": ("食杂店", "百货店", "日杂店", "小卖部", "副食店"),
    "B": ("便利店", "便民店", "24小时便利"),
    "Y": ("烟酒店", "烟酒商行", "名烟名酒"),
    "S": ("超市", "购物中心", "生活超市"),
    "F": ("网吧", "KTV", "棋牌室", "台球俱乐部"),
    "Q": ("加油站便利店", "宾馆商店", "药店"),
    "N": ("商场烟柜", "百货大楼烟柜"),
}
PREFIXES = (
    "惠民",
    "兴旺",
    "福满多",
    "好又多",
    "顺心",
    "金利",
    "万家",
    "鑫源",
    "诚信",
    "利民",
    "家和",
    "旺旺",
    "佳佳",
    "永盛",
    "丰源",
    "和谐",
    "阳光",
    "平安",
    "红星",
    "新世纪",
)
STREETS = (
    "中州路",
    "解放路",
    "建设路",
    "人民路",
    "南昌路",
    "九都路",
    "开元大道",
    "王城大道",
    "新街",
    "东大街",
    "西大街",
    "兴华街",
    "健康路",
    "民主街",
    "胜利路",
    "团结路",
    "光明路",
    "学府街",
    "滨河路",
    "丽春路",
)
CREDIT = (("A", 9200), ("AA", 700), ("AAA", 80), ("B", 12), ("C", 5), ("D", 3))
MOBILE_PREFIXES = (
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "180",
    "181",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "199",
)


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


def _id_card(rng: random.Random, region: str, birthday: datetime.date) -> str:
    body = f"{region}{birthday:%Y%m%d}{rng.randint(0, 999):03d}"
    total = sum(int(d) * w for d, w in zip(body, ID_CARD_WEIGHTS, strict=True))
    return body + ID_CARD_CHECK[total % 11]


def _tier(rng: random.Random, business_format: str, scale: str, market: str) -> int:
    base = {"1": 21, "2": 15, "3": 10}[scale] + {"Y": 4, "S": 3, "N": 4, "B": 1}.get(business_format, 0)
    base += 1 if market == "C" else -1
    return max(1, min(30, round(rng.gauss(base, 3.5))))


def demo_retailers_build(
    *, staff: dict, count: int, seed: int = 20261123, stdout=None, today: datetime.date | None = None
) -> int:
    """Create `count` retailers spread over the demo routes; returns how many were written."""
    rng = random.Random(seed)  # noqa: S311 - demo data, repeatable by seed
    # `today` pins the calendar so that a seed always gives the same data; by default, the real today
    today = today or timezone.localdate()
    now = timezone.now() - datetime.timedelta(days=(timezone.localdate() - today).days)
    routes = staff["routes"]
    serials: dict[str, int] = {}
    written = 0
    duplicates = []
    n_duplicates = int(count * DUPLICATE_SHARE)
    # History: the per-row pghistory triggers are off for the bulk insert; one set-based statement writes the
    # same 'created' events afterwards (see accounts.history.retailer_events_insert_sql).
    with transaction.atomic(), pgtrigger.ignore(*RETAILER_TRIGGERS):
        first_id = (Retailer.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        batch = []
        for i in range(count - n_duplicates):
            slot = routes[i % len(routes)]
            county, route, department = slot["county"], slot["route"], slot["department"]
            business_format = _weighted(rng, FORMATS)
            scale = _weighted(rng, (("1", 10), ("2", 35), ("3", 55)))
            urban = county["code"] in ("410302", "410303", "410304", "410305")
            market = "C" if rng.random() < (0.9 if urban else 0.35) else "X"
            holder = "2" if business_format in ("S", "N") or rng.random() < 0.05 else "1"
            serial = serials.get(county["code"] + holder, 0) + 1
            serials[county["code"] + holder] = serial
            owner = rng.choice(SURNAMES) + rng.choice(GIVEN)
            shop_word = rng.choice(SHOP_WORDS[business_format])
            shop = f"{owner[0]}记{shop_word}" if rng.random() < 0.35 else f"{rng.choice(PREFIXES)}{shop_word}"
            if rng.random() < 0.3:
                shop += f"（{rng.choice(county['towns'])}店）"
            # Issue dates over the last five years, so expiries spread over the next five; a few lapsed.
            issued = today - datetime.timedelta(days=rng.randint(0, 5 * 365 - 1))
            if rng.random() < 0.006:
                issued -= datetime.timedelta(days=5 * 365 + rng.randint(1, 60))
            expires = (
                issued.replace(year=issued.year + 5) - datetime.timedelta(days=1)
                if not (issued.month == 2 and issued.day == 29)
                else issued.replace(year=issued.year + 5, day=28)
            )
            birthday = datetime.date(rng.randint(1958, 2000), rng.randint(1, 12), rng.randint(1, 28))
            new_shop = issued > today - datetime.timedelta(days=90)
            tier = _tier(rng, business_format, scale, market)
            status = _weighted(rng, (("active", 96), ("suspended", 2), ("closed", 2)))
            sms = rng.random() < 0.72
            created = now - datetime.timedelta(days=(today - issued).days)
            batch.append(
                Retailer(
                    customer_code=f"LY{county['code'][-2:]}{i + 1:07d}",
                    licence_no=f"{county['code']}{holder}{serial:05d}",
                    licence_issued_on=issued,
                    licence_expires_on=expires,
                    licence_status="valid"
                    if status == "active"
                    else ("suspended" if status == "suspended" else "closed"),
                    shop_name=shop,
                    owner_name=owner,
                    owner_id_number=_id_card(rng, county["code"], birthday),
                    owner_birthday=birthday,
                    mobile=rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}",
                    email=f"shop{i + 1}@example.com" if rng.random() < 0.15 else "",
                    address=f"洛阳市{county['name']}{rng.choice(county['towns'])}{rng.choice(STREETS)}{rng.randint(1, 399)}号",
                    latitude=round(county["lat"] + rng.uniform(-0.06, 0.06), 6),
                    longitude=round(county["lon"] + rng.uniform(-0.06, 0.06), 6),
                    market_type=market,
                    business_format=business_format,
                    scale=scale,
                    tier=min(tier, 24) if new_shop else tier,
                    credit_grade=_weighted(rng, CREDIT),
                    shop_area_m2=max(6, int(rng.lognormvariate({"1": 4.6, "2": 3.7, "3": 3.0}[scale], 0.4))),
                    is_night_shop=rng.random() < (0.25 if business_format in ("B", "F") else 0.05),
                    org_unit=department,
                    route=route,
                    delivery_route=f"配送{county['code'][-2:]}-{route.visit_weekday}",
                    order_weekday=route.visit_weekday,
                    order_channel="online" if rng.random() < 0.85 else "phone",
                    payment_method=_weighted(rng, (("bank", 70), ("online", 25), ("cash", 5))),
                    bank_account=f"6228{rng.randint(0, 10**15 - 1):015d}",
                    status=status,
                    sms_consent=sms,
                    sms_consent_at=created if sms else None,
                    sms_consent_source="入网协议签署" if sms else "",
                    created_at=created,
                )
            )
            if rng.random() < 2 * DUPLICATE_SHARE:
                duplicates.append((batch[-1], county, holder))
            if len(batch) >= BATCH:
                Retailer.objects.bulk_create(batch)
                written += len(batch)
                batch = []
                if stdout:
                    stdout.write(f"  {written:,} retailers")
        # A few shops registered twice (a re-issued licence entered as a new customer): same owner and phone,
        # nearly the same name and address, so the data-quality page has real duplicates to show.
        for n, (original, county, holder) in enumerate(duplicates[:n_duplicates]):
            serial = serials[county["code"] + holder] + 1
            serials[county["code"] + holder] = serial
            copy = Retailer(
                **{
                    f.attname: getattr(original, f.attname)
                    for f in Retailer._meta.concrete_fields
                    if not f.generated and f.attname != "id"
                }
            )
            copy.customer_code = f"LY{county['code'][-2:]}D{n + 1:06d}"
            copy.licence_no = f"{county['code']}{holder}{serial:05d}"
            copy.shop_name = original.shop_name.split("（")[0] + (
                "店" if not original.shop_name.endswith("店") else ""
            )
            copy.address = original.address.replace("号", "-1号", 1)
            batch.append(copy)
        if batch:
            Retailer.objects.bulk_create(batch)
            written += len(batch)
        context = history_context_create(user=None, source="seed_demo")
        with connection.cursor() as cursor:
            cursor.execute(
                retailer_events_insert_sql(
                    source=f"(SELECT *, true AS inserted FROM accounts_retailer WHERE id >= {int(first_id)})",  # noqa: S608
                ),
                [context],
            )
    return written


def demo_violations_build(*, seed: int = 7, today: datetime.date | None = None) -> int:
    """A few violations (about 1 retailer in 150, mostly minor, some voided), recorded through the service so the
    grades of those retailers follow the credit rule."""
    from accounts.compliance.models import Violation
    from accounts.compliance.services import violation_record, violation_void
    from users.models import User

    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    today = today or timezone.localdate()
    actors = list(
        User.objects.filter(role=User.Role.SUPERVISOR, org_unit__isnull=False).select_related("org_unit")
    )
    if not actors:
        return 0
    kinds = [
        ("licence_hidden", 30),
        ("no_price_tags", 30),
        ("minors", 12),
        ("other", 10),
        ("fake_goods", 5),
        ("supplying", 3),
        ("resisting", 2),
    ]
    ids = list(Retailer.objects.values_list("pk", flat=True))
    chosen = rng.sample(ids, k=max(1, len(ids) // 150))
    written = 0
    for rid in chosen:
        retailer = Retailer.objects.select_related("org_unit").get(pk=rid)
        actor = next((a for a in actors if retailer.org_unit.path.startswith(a.org_unit.path)), actors[0])
        kind = _weighted(rng, kinds)
        penalty = "fine" if kind in ("minors", "fake_goods", "supplying") else "warning"
        violation = violation_record(
            actor=actor,
            retailer=retailer,
            data={
                "occurred_on": today - datetime.timedelta(days=rng.randint(1, 700)),
                "type": kind,
                "penalty": penalty,
                "fine_fen": rng.choice([20000, 50000, 100000]) if penalty == "fine" else None,
                "source": rng.choice(
                    [Violation.Source.INSPECTION, Violation.Source.VISIT, Violation.Source.HOTLINE]
                ),
                "notes": "",
            },
        )
        if rng.random() < 0.1:
            violation_void(actor=actor, violation=violation, reason="复核后撤销")
        written += 1
    return written


def demo_retailers_flush() -> None:
    from accounts.compliance.models import Violation

    Violation.objects.all().delete()
    ImportJob.objects.all().delete()
    SensitiveAccess.objects.all().delete()
    RetailerExport.objects.all().delete()
    ConsentEvent.objects.all().delete()
    Retailer.objects.all().delete()
    RetailerEvent.objects.all().delete()
