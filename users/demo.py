"""Demo org tree, staff and routes for `seed_demo`: a prefecture-level company with its county bureaus."""

import math

from django.contrib.auth.hashers import make_password
from django.db import transaction

from users.models import OrgUnit, RegionUnit, Route, User
from users.services import org_unit_create, region_units_seed_defaults, route_create, user_create

DEMO_PASSWORD = "crm-demo-2026"  # noqa: S105 - printed for the demo logins; never used in production
COMPANY_NAME = "洛阳市烟草公司"
# (region code, county bureau, towns used in addresses, latitude, longitude)
COUNTIES = (
    ("410302", "老城区", ("西关", "东南隅", "邙山镇", "道北路"), 34.683, 112.469),
    ("410303", "西工区", ("王城路", "唐宫路", "金谷园", "红山乡"), 34.667, 112.428),
    ("410304", "瀍河回族区", ("北窑", "塔湾", "瀍西", "杨文"), 34.689, 112.499),
    ("410305", "涧西区", ("天津路", "长安路", "重庆路", "工农乡"), 34.654, 112.395),
    ("410307", "偃师区", ("首阳山", "城关镇", "顾县镇", "缑氏镇"), 34.727, 112.790),
    ("410308", "孟津区", ("城关镇", "会盟镇", "平乐镇", "朝阳镇"), 34.826, 112.445),
    ("410323", "新安县", ("城关镇", "铁门镇", "磁涧镇", "五头镇"), 34.728, 112.132),
    ("410324", "栾川县", ("城关镇", "合峪镇", "潭头镇", "庙子镇"), 33.785, 111.615),
    ("410325", "嵩县", ("城关镇", "田湖镇", "车村镇", "旧县镇"), 34.135, 112.085),
    ("410326", "汝阳县", ("城关镇", "上店镇", "小店镇", "蔡店乡"), 34.153, 112.473),
    ("410327", "宜阳县", ("城关镇", "寻村镇", "柳泉镇", "韩城镇"), 34.514, 112.179),
    ("410328", "洛宁县", ("城关镇", "王范乡", "长水镇", "河底镇"), 34.389, 111.653),
    ("410329", "伊川县", ("城关镇", "鸣皋镇", "彭婆镇", "白沙镇"), 34.421, 112.425),
)
MANAGER_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
MANAGER_GIVEN = (
    "伟",
    "敏",
    "静",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "晓东",
    "海燕",
    "志强",
    "丽娜",
    "文博",
    "雪梅",
)
RETAILERS_PER_MANAGER = 200
ROUTES_PER_MANAGER = 5  # one route per weekday, Monday to Friday


def demo_staff_build(*, retailers: int) -> dict:
    """Create the company tree, one admin, one supervisor per county, and enough customer managers (about 200
    retailers each, five routes each). Returns what the retailer builder needs."""
    managers_needed = max(2, math.ceil(retailers / RETAILERS_PER_MANAGER))
    hashed = make_password(DEMO_PASSWORD)  # hashing is slow on purpose: do it once for all demo logins
    with transaction.atomic():
        company = org_unit_create(name=COMPANY_NAME, kind=OrgUnit.Kind.COMPANY, region_code="410300")
        user_create(
            username="admin",
            password=None,
            password_hash=hashed,
            role=User.Role.ADMIN,
            org_unit=company,
            display_name="系统管理员",
            is_superuser=True,
        )
        counties = []
        per_county = math.ceil(managers_needed / len(COUNTIES))
        for index, (code, name, towns, lat, lon) in enumerate(COUNTIES):
            county = org_unit_create(
                name=f"{name}烟草专卖局", kind=OrgUnit.Kind.COUNTY, parent=company, region_code=code
            )
            n_departments = max(1, math.ceil(per_county / 12))
            county_departments = [
                org_unit_create(
                    name=f"{name}营销部" if n_departments == 1 else f"{name}第{d + 1}营销部",
                    kind=OrgUnit.Kind.DEPARTMENT,
                    parent=county,
                )
                for d in range(n_departments)
            ]
            counties.append(
                {
                    "unit": county,
                    "code": code,
                    "name": name,
                    "towns": towns,
                    "lat": lat,
                    "lon": lon,
                    "departments": county_departments,
                }
            )
            user_create(
                username=f"sup{index + 1:02d}",
                password=None,
                password_hash=hashed,
                role=User.Role.SUPERVISOR,
                org_unit=county,
                display_name=f"{name}营销主管",
                is_staff=True,
            )
        routes = []
        for m in range(managers_needed):
            county = counties[m % len(COUNTIES)]
            department = county["departments"][(m // len(COUNTIES)) % len(county["departments"])]
            surname = MANAGER_SURNAMES[m % len(MANAGER_SURNAMES)]
            given = MANAGER_GIVEN[(m * 7) % len(MANAGER_GIVEN)]
            manager = user_create(
                username=f"cm{m + 1:03d}",
                password=None,
                password_hash=hashed,
                role=User.Role.MANAGER,
                org_unit=department,
                display_name=f"{surname}{given}",
            )
            for weekday in range(1, ROUTES_PER_MANAGER + 1):
                route = route_create(
                    code=f"R{county['code'][-2:]}{m + 1:04d}{weekday}",
                    name=f"{county['name']}{county['towns'][weekday % 4]}线{weekday}",
                    org_unit=department,
                    manager=manager,
                    visit_weekday=weekday,
                )
                routes.append({"route": route, "county": county, "department": department})
        region_units_seed_defaults()
    return {"company": company, "counties": counties, "routes": routes}


def demo_staff_flush() -> None:
    """Remove demo staff, routes and org units (retailers must be gone first)."""
    Route.objects.all().delete()
    RegionUnit.objects.all().delete()
    User.objects.all().delete()
    for kind in (OrgUnit.Kind.DEPARTMENT, OrgUnit.Kind.COUNTY, OrgUnit.Kind.COMPANY):
        OrgUnit.objects.filter(kind=kind).delete()
