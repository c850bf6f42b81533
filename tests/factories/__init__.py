"""factory-boy factories. Points are never written here: set them up through the ledger services."""

from decimal import Decimal

import factory

from loyalty.choices import RuleType
from loyalty.models import EarningRule, Merchant, Program, Tier
from rewards.models import Reward


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"Shop {n}")


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    merchant = factory.SubFactory(MerchantFactory)
    slug = factory.Sequence(lambda n: f"program-{n}")
    name = factory.Sequence(lambda n: f"Rewards {n}")
    currency = "USD"
    points_per_currency_unit = Decimal("1")


class EarningRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EarningRule

    program = factory.SubFactory(ProgramFactory)
    key = factory.Sequence(lambda n: f"rule-{n}")
    type = RuleType.SIGNUP
    points = 100


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier

    program = factory.SubFactory(ProgramFactory)
    key = factory.Sequence(lambda n: f"tier-{n}")
    name = factory.Sequence(lambda n: f"Tier {n}")
    position = factory.Sequence(lambda n: n)
    threshold = Decimal("0")
    multiplier = Decimal("1")


class RewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reward

    program = factory.SubFactory(ProgramFactory)
    key = factory.Sequence(lambda n: f"reward-{n}")
    name = factory.Sequence(lambda n: f"Reward {n}")
    type = "fixed_discount"
    value = Decimal("5.00")
    points_cost = 500
