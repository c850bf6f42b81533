"""Members with points (through the real services) and rewards of every type, for the rewards tests."""

import itertools
from decimal import Decimal

from loyalty.choices import RewardType
from members.models import Member
from members.services.adjustments import points_adjust
from members.services.members import member_upsert
from tests.factories import RewardFactory

_customer_ids = itertools.count(1)

# What each reward type carries in the catalog (the program file's vocabulary).
REWARD_TYPE_FIELDS = {
    RewardType.FIXED_DISCOUNT: {"value": Decimal("5.00")},
    RewardType.PERCENT_DISCOUNT: {"value": Decimal("10.00")},
    RewardType.FREE_SHIPPING: {"value": None},
    RewardType.FREE_PRODUCT: {"value": None, "product_id": "SKU-MUG"},
    RewardType.GIFT_CARD: {"value": Decimal("25.00")},
    RewardType.STORE_CREDIT: {"value": Decimal("10.00")},
    RewardType.PHYSICAL: {"value": None, "description": "A tote bag, shipped"},
    RewardType.EXPERIENCE: {"value": None, "description": "A private tasting"},
}


def member_with_points(program, points: int, *, customer_id: str | None = None, tier=None) -> Member:
    """A member of `program` holding exactly `points` (credited through the ledger), in `tier` if given."""
    member, _ = member_upsert(
        program=program, customer_id=customer_id or f"cust-{next(_customer_ids)}", email="shopper@example.com"
    )
    if points:
        points_adjust(member=member, points=points, reason="test set-up")
    if tier is not None:
        Member.objects.filter(pk=member.pk).update(tier=tier)
    return Member.objects.select_related("tier").get(pk=member.pk)


def reward_of_type(program, reward_type: str, **overrides):
    return RewardFactory(program=program, type=reward_type, **{**REWARD_TYPE_FIELDS[reward_type], **overrides})
