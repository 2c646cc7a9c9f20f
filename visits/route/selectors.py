"""The day's route: the daily list's shops still to visit today, ordered by visits.route.tour.plan.

The stops are the daily list's entries (its ranking chooses the shops), less those the manager has already visited
today and those skipped; shops without coordinates cannot be placed and are listed apart. The start is the
manager's position when the phone gave one, otherwise the first stop of the list."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from users.models import User
from visits.daily.selectors import DailyEntry, daily_list
from visits.models import Visit
from visits.route import tour as routing


@dataclass
class Stop:
    entry: DailyEntry
    leg_m: float
    x: float = 0.0
    y: float = 0.0

    @property
    def leg_km(self) -> float:
        return round(self.leg_m * routing.ROAD_FACTOR / 1000, 1)


@dataclass
class DayRoute:
    stops: list[Stop]
    tour: routing.Tour
    start: tuple[float, float] | None  # the manager's position, if given
    start_xy: tuple[float, float] | None = None
    unlocated: list[DailyEntry] = field(default_factory=list)
    skipped: list[DailyEntry] = field(default_factory=list)
    done: list[DailyEntry] = field(default_factory=list)
    over_limit: int = 0

    @property
    def polyline(self) -> str:
        points = ([self.start_xy] if self.start_xy else []) + [(s.x, s.y) for s in self.stops]
        return " ".join(f"{x},{y}" for x, y in points)


def day_route(
    *,
    manager: User,
    today: datetime.date | None = None,
    skip: set[int] = frozenset(),
    start: tuple[float, float] | None = None,
) -> DayRoute:
    today = today or timezone.localdate()
    entries = daily_list(manager=manager, today=today)
    visited = set(
        Visit.objects.filter(
            manager=manager, visited_on=today, retailer_id__in=[e.retailer.pk for e in entries]
        ).values_list("retailer_id", flat=True)
    )
    placed, unlocated, skipped, done = [], [], [], []
    for e in entries:
        r = e.retailer
        if r.pk in visited:
            done.append(e)
        elif r.pk in skip:
            skipped.append(e)
        elif r.latitude is None or r.longitude is None:
            unlocated.append(e)
        else:
            placed.append(e)
    over_limit = max(0, len(placed) - routing.MAX_STOPS)
    placed = placed[: routing.MAX_STOPS]
    tour = routing.plan(
        [(float(e.retailer.latitude), float(e.retailer.longitude)) for e in placed], start=start
    )
    stops = [Stop(entry=placed[i], leg_m=leg) for i, leg in zip(tour.order, tour.legs_m, strict=True)]
    points = ([start] if start else []) + [
        (float(s.entry.retailer.latitude), float(s.entry.retailer.longitude)) for s in stops
    ]
    xy = routing.svg_layout(points)
    start_xy = xy.pop(0) if start else None
    for stop, (x, y) in zip(stops, xy, strict=True):
        stop.x, stop.y = x, y
    return DayRoute(
        stops=stops,
        tour=tour,
        start=start,
        start_xy=start_xy,
        unlocated=unlocated,
        skipped=skipped,
        done=done,
        over_limit=over_limit,
    )
