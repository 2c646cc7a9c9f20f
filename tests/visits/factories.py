"""Factories for field work: the visit policy, visit plans and cultivation programmes, written straight as the
tests need them (the database's triggers keep a plan's week counts, as they do for the plan generator); and a
helper that gives a shop its coordinates."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from tests.accounts.factories import RetailerFactory
from tests.users.factories import ManagerFactory
from visits.models import CultivationProgramme, VisitPlan, VisitPolicy

SHOP_LAT = Decimal("34.000000")
SHOP_LNG = Decimal("112.000000")


def located_shop(retailer, lat=SHOP_LAT, lng=SHOP_LNG):
    type(retailer).objects.filter(pk=retailer.pk).update(latitude=lat, longitude=lng)
    retailer.latitude, retailer.longitude = lat, lng
    return retailer


class VisitPolicyFactory(factory.django.DjangoModelFactory):
    """The one policy row, with the model's defaults unless told otherwise."""

    class Meta:
        model = VisitPolicy


class VisitPlanFactory(factory.django.DjangoModelFactory):
    """A weekly plan of the shop for today, by the manager of the shop's route."""

    class Meta:
        model = VisitPlan

    retailer = factory.SubFactory(RetailerFactory)
    planned_on = factory.LazyFunction(timezone.localdate)
    route = factory.LazyAttribute(lambda o: o.retailer.route)
    manager = factory.LazyAttribute(lambda o: o.route.manager)
    frequency = VisitPlan.Frequency.WEEKLY


class CultivationProgrammeFactory(factory.django.DjangoModelFactory):
    """A programme for `product` (required), running four weeks from today in its author's unit, to one selling
    shop at 100 %."""

    class Meta:
        model = CultivationProgramme

    name = factory.Sequence(lambda n: f"品牌培育{n}")
    created_by = factory.SubFactory(ManagerFactory)
    org_unit = factory.LazyAttribute(lambda o: o.created_by.org_unit)
    starts_on = factory.LazyFunction(timezone.localdate)
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + datetime.timedelta(days=27))
    goal_selling_retailers = 1
    goal_sell_through_pct = 100
