"""A program selling a paid membership: earned tiers Bronze (0) and Silver (500 points), and the invite-only
tier "Plus" (double points) that the "plus" plan grants while paid."""

from decimal import Decimal

from memberships.models import MembershipPlan
from tests.factories import ProgramFactory, TierFactory


def membership_program(**overrides):
    program = ProgramFactory(**overrides)
    TierFactory(program=program, key="bronze", name="Bronze", position=0, threshold=Decimal("0"))
    TierFactory(program=program, key="silver", name="Silver", position=1, threshold=Decimal("500"))
    plus = TierFactory(
        program=program,
        key="plus",
        name="Plus",
        position=2,
        threshold=None,
        invite_only=True,
        multiplier=Decimal("2"),
        perks=["Free shipping"],
    )
    MembershipPlan.objects.create(
        program=program,
        key="plus",
        name="Plus",
        perks="Free shipping\nDouble points",
        price=Decimal("9.99"),
        currency=program.currency,
        interval="month",
        tier=plus,
    )
    return program
