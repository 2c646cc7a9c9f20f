"""A day's route through the chosen shops: an open tour from a start point (the manager's position, or the first
shop) that visits every stop once, found by nearest neighbour and improved by 2-opt and Or-opt moves until no
move shortens it. Distances are great-circle (haversine); the estimates turn them into road distance and time
with the constants below. Pure Python: 40 stops take a few milliseconds."""

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from visits.geo import EARTH_RADIUS_M

# straight line → road: rural roads wind; 1.3 is the usual detour factor for Chinese county road networks
ROAD_FACTOR = 1.3
TRAVEL_KMH = 25.0  # an e-bike or a car on county roads, with stops at junctions
MINUTES_PER_STOP = 15  # a visit: check-in, checklist, photos, a word with the owner
MAX_STOPS = 40
NEIGHBOURS = 10  # Or-opt tries to move a run next to this many nearest stops of either end

Point = tuple[float, float]  # (latitude, longitude) in degrees


@dataclass(frozen=True)
class Tour:
    order: list[int]  # indexes into the stops, in visiting order
    legs_m: list[float]  # great-circle metres of each leg (the first from the start)
    length_m: float  # sum of the legs

    @property
    def road_km(self) -> float:
        return self.length_m * ROAD_FACTOR / 1000

    @property
    def travel_minutes(self) -> int:
        return round(self.road_km / TRAVEL_KMH * 60)

    @property
    def total_minutes(self) -> int:
        return self.travel_minutes + MINUTES_PER_STOP * len(self.order)


def distance_matrix(points: Sequence[Point]) -> list[list[float]]:
    """Haversine metres between every pair (visits.geo.haversine_m's formula, with each point's trigonometry
    computed once)."""
    n = len(points)
    rad = [(math.radians(float(lat)), math.radians(float(lon))) for lat, lon in points]
    cos = [math.cos(phi) for phi, _lam in rad]
    d = [[0.0] * n for _ in range(n)]
    two_r = 2 * EARTH_RADIUS_M
    sin, asin, sqrt = math.sin, math.asin, math.sqrt
    for i in range(n):
        phi1, lam1 = rad[i]
        row = d[i]
        for j in range(i + 1, n):
            phi2, lam2 = rad[j]
            a = sin((phi2 - phi1) / 2) ** 2 + cos[i] * cos[j] * sin((lam2 - lam1) / 2) ** 2
            row[j] = d[j][i] = two_r * asin(min(1.0, sqrt(a)))
    return d


def path_length(d: list[list[float]], path: Sequence[int]) -> float:
    return sum(d[a][b] for a, b in itertools.pairwise(path))


def _nearest_neighbour(d: list[list[float]], n: int) -> list[int]:
    path = [0]
    left = set(range(1, n))
    while left:
        last = path[-1]
        nxt = min(left, key=lambda j: (d[last][j], j))
        path.append(nxt)
        left.remove(nxt)
    return path


def _two_opt(d: list[list[float]], path: list[int]) -> bool:
    """One pass of 2-opt on an open path whose first node is fixed; True if it improved anything."""
    n = len(path)
    improved = False
    for i in range(1, n - 1):
        a, b = path[i - 1], path[i]
        da, db = d[a], d[b]
        ab = da[b]
        for j in range(i + 1, n):
            c = path[j]
            if j + 1 < n:
                e = path[j + 1]
                gain = ab + d[c][e] - da[c] - db[e]
            else:
                gain = ab - da[c]
            if gain > 1e-9:
                path[i : j + 1] = path[i : j + 1][::-1]
                improved = True
                b = path[i]
                db = d[b]
                ab = da[b]
    return improved


def _or_opt(d: list[list[float]], path: list[int], near: list[list[int]]) -> bool:
    """Move a run of 1–3 stops (either way round) next to one of the nearest neighbours of its ends; True if it
    improved anything."""
    n = len(path)
    improved = False
    for size in (1, 2, 3):
        i = 1
        pos = {node: p for p, node in enumerate(path)}
        while i <= n - size:
            first, last = path[i], path[i + size - 1]
            prev = path[i - 1]
            nxt = path[i + size] if i + size < n else None
            removed = d[prev][first] + (d[last][nxt] - d[prev][nxt] if nxt is not None else 0.0)
            best, where, flip = 1e-9, None, False
            candidates = set()
            for node in (*near[first], *near[last]):
                p = pos[node]
                candidates.add(p)
                candidates.add(p - 1)
            for k in candidates:
                if k < 0 or i - 1 <= k < i + size:
                    continue  # the gap the run sits in (k = i-1) and the run itself
                a = path[k]
                b = path[k + 1] if k + 1 < n else None
                if b is not None and i <= k + 1 < i + size:
                    continue
                base = -d[a][b] if b is not None else 0.0
                fwd = d[a][first] + (d[last][b] if b is not None else 0.0) + base
                rev = d[a][last] + (d[first][b] if b is not None else 0.0) + base
                if removed - fwd > best:
                    best, where, flip = removed - fwd, k, False
                if removed - rev > best:
                    best, where, flip = removed - rev, k, True
            if where is None:
                i += 1
                continue
            seg = path[i : i + size]
            a = path[where]
            del path[i : i + size]
            k = path.index(a)
            path[k + 1 : k + 1] = seg[::-1] if flip else seg
            pos = {node: p for p, node in enumerate(path)}
            improved = True
    return improved


def plan(stops: Sequence[Point], start: Point | None = None) -> Tour:
    """The visiting order of `stops` from `start` (default: the first stop, which then stays first)."""
    if not stops:
        return Tour(order=[], legs_m=[], length_m=0.0)
    if start is None:
        points, offset = list(stops), 0
    else:
        points, offset = [start, *stops], 1
    d = distance_matrix(points)
    near = [
        sorted((j for j in range(len(points)) if j != i), key=d[i].__getitem__)[:NEIGHBOURS]
        for i in range(len(points))
    ]
    path = _nearest_neighbour(d, len(points))
    while _two_opt(d, path) or _or_opt(d, path, near):
        pass
    legs = [d[a][b] for a, b in itertools.pairwise(path)]
    if offset == 0:
        legs = [0.0, *legs]  # the first stop is the start: no leg to reach it
    order = [p - offset for p in path[offset:]]
    return Tour(order=order, legs_m=legs, length_m=sum(legs))


def svg_layout(points: Sequence[Point], *, size: int = 340, pad: int = 20) -> list[tuple[float, float]]:
    """Screen coordinates (x right, y down) for points, an equirectangular projection scaled to fit a square
    drawing of `size` px with `pad` px margins, north up; a single point sits in the middle."""
    if not points:
        return []
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    mid_lat = math.radians((min(lats) + max(lats)) / 2)
    xs = [lon * math.cos(mid_lat) for lon in lons]
    ys = [-lat for lat in lats]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    scale = (size - 2 * pad) / span
    ox = pad + ((size - 2 * pad) - (max(xs) - min(xs)) * scale) / 2
    oy = pad + ((size - 2 * pad) - (max(ys) - min(ys)) * scale) / 2
    return [
        (round(ox + (x - min(xs)) * scale, 1), round(oy + (y - min(ys)) * scale, 1))
        for x, y in zip(xs, ys, strict=True)
    ]
