"""Great-circle distance between a check-in and a shop (haversine on the mean Earth radius)."""

import math
from decimal import Decimal

EARTH_RADIUS_M = 6_371_008.8  # the IUGG mean radius


def haversine_m(
    lat1: float | Decimal, lon1: float | Decimal, lat2: float | Decimal, lon2: float | Decimal
) -> float:
    """Metres between two points given in degrees. Accurate to well under a metre at the distances a check-in
    radius cares about (hundreds of metres)."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    d_phi = phi2 - phi1
    d_lambda = math.radians(float(lon2) - float(lon1))
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
