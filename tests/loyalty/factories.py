"""Factories for the loyalty programme's settings rows: earn rules and rewards, written straight as an
administrator's admin form would leave them."""

import datetime
from decimal import Decimal

import factory

from loyalty.earning.models import EarnRule
from loyalty.rewards.models import Reward


class EarnRuleFactory(factory.django.DjangoModelFactory):
    """One point per carton for orders from 2025-01-01, the level multiplier applying, no cap."""

    class Meta:
        model = EarnRule

    name = factory.Sequence(lambda n: f"积分规则{n}")
    basis = EarnRule.Basis.CARTON
    points_per_unit = Decimal(1)
    valid_from = datetime.date(2025, 1, 1)


class RewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reward

    name = factory.Sequence(lambda n: f"礼品{n}")
    points_price = 100
