"""Factories of the challenges app."""

from decimal import Decimal

import factory

from challenges.choices import ChallengeMetric
from challenges.models import Challenge, Leaderboard
from tests.factories import ProgramFactory


class ChallengeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Challenge

    program = factory.SubFactory(ProgramFactory)
    key = factory.Sequence(lambda n: f"challenge-{n}")
    name = factory.Sequence(lambda n: f"Challenge {n}")
    metric = ChallengeMetric.ORDERS
    target = Decimal("3")
    reward_points = 100


class LeaderboardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Leaderboard

    program = factory.SubFactory(ProgramFactory)
    enabled = True
