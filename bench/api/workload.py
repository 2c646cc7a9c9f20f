"""The api benchmark's workload: a realistic mix of retailer-list filters built from the data (name fragments,
routes, tiers, …), each a case walked page by page."""

import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from accounts.selectors import retailer_scope
from bench.runner import (
    BenchError,
)
from users.models import User
from users.selectors import route_scope

PAGE_SIZE = 50

CHINESE_RE = re.compile(r"^[\u4e00-\u9fff]+$")
SUFFIX_RE = re.compile(r"（.*?）")


@dataclass
class Case:
    label: str
    role: str  # "supervisor" or "admin"
    params: list[tuple[str, str]]

    @property
    def query(self) -> str:
        return urlencode(self.params)


@dataclass
class Samples:
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    by_role: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def add(self, target: str, role: str, seconds: float) -> None:
        self.seconds[target].append(seconds)
        self.by_role[f"{target}:{role}"].append(seconds)


def name_fragments(user: User, rng: random.Random) -> list[str]:
    """Shop-name fragments a customer manager would type: 2–3 Chinese characters out of real names."""
    names = list(retailer_scope(user=user).order_by("id").values_list("shop_name", flat=True)[:2000])
    if not names:
        raise BenchError("the supervisor sees no retailers: is the demo data there?")
    fragments: list[str] = []
    for length in (2, 3, 3):
        for _attempt in range(50):
            name = SUFFIX_RE.sub("", rng.choice(names))
            if len(name) < length:
                continue
            start = rng.randrange(0, len(name) - length + 1)
            fragment = name[start : start + length]
            if CHINESE_RE.match(fragment) and fragment not in fragments:
                fragments.append(fragment)
                break
    if len(fragments) < 3:
        raise BenchError(f"could not take three Chinese fragments out of the shop names: {fragments}")
    return fragments


def build_cases(*, supervisor: User, seed: int) -> list[Case]:
    rng = random.Random(seed)
    two, three, three_b = name_fragments(supervisor, rng)
    route = route_scope(user=supervisor).order_by("code").first()
    filters = [
        ("q2", [("q", two)]),
        ("q3", [("q", three)]),
        ("credit_AA", [("credit_grade", "AA")]),
        ("tier_15_20", [("tier_min", "15"), ("tier_max", "20")]),
        ("expiring_90", [("expiring_within", "90")]),
        ("format_Y_S", [("business_format", "Y"), ("business_format", "S")]),
        ("route", [("route", str(route.pk))]),
        ("format_Z_tier12", [("business_format", "Z"), ("tier_min", "12")]),
        ("q3_credit_A", [("q", three_b), ("credit_grade", "A")]),
    ]
    return [Case(label, role, params) for role in ("supervisor", "admin") for label, params in filters]
