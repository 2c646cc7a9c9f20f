"""Helpers for field-work tests."""

from decimal import Decimal

SHOP_LAT = Decimal("34.000000")
SHOP_LNG = Decimal("112.000000")


def located_shop(retailer, lat=SHOP_LAT, lng=SHOP_LNG):
    type(retailer).objects.filter(pk=retailer.pk).update(latitude=lat, longitude=lng)
    retailer.latitude, retailer.longitude = lat, lng
    return retailer
