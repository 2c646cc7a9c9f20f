"""Factories for scoring results: a finished scoring run and a retailer's score in it, written straight as a run
leaves them (the middle class of every measure unless told otherwise)."""

import factory
from django.utils import timezone

from segmentation.scoring.models import RetailerScore, ScoringRun
from tests.accounts.factories import RetailerFactory


class ScoringRunFactory(factory.django.DjangoModelFactory):
    """A run that finished now."""

    class Meta:
        model = ScoringRun

    status = ScoringRun.Status.DONE
    finished_at = factory.LazyFunction(timezone.now)


class RetailerScoreFactory(factory.django.DjangoModelFactory):
    """A retailer's score in a finished run: R, F and M of 3, a potential, active, mid-value, general customer."""

    class Meta:
        model = RetailerScore

    retailer = factory.SubFactory(RetailerFactory)
    run = factory.SubFactory(ScoringRunFactory)
    computed_at = factory.LazyFunction(timezone.now)
    r_score = 3
    f_score = 3
    m_score = 3
    rfm_segment = RetailerScore.RfmSegment.POTENTIAL
    lifecycle = RetailerScore.Lifecycle.ACTIVE
    value_class = RetailerScore.ValueClass.MID
    loyalty_class = RetailerScore.LoyaltyClass.GENERAL
