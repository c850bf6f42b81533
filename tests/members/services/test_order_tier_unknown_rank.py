"""Earning never moves a member whose tier the cached program configuration does not hold (a tier another worker
created and moved them to within PROGRAM_CONFIG_CACHE_SECONDS): its rank is unknown, and a tier of the stale list
could be below it. The one-order path (both databases) and the batch leave the member where they are."""

from decimal import Decimal

import pytest

from loyalty.choices import TierMetric, TierPeriod
from loyalty.models import Tier
from loyalty.program_config import program_config
from members.models import Member, TierChange
from members.services.order_batch import OrderInput, orders_record_many
from members.services.tiers import member_next_tier
from tests.factories import TierFactory


@pytest.fixture
def platinum_member(program, place_order):
    """A Bronze member of a Bronze/Silver ladder cached in this process, then moved to a Platinum this process has
    not seen (created and assigned elsewhere: no signal drops the cache here)."""
    program.tier_metric, program.tier_period = TierMetric.POINTS_EARNED, TierPeriod.LIFETIME
    program.save()
    TierFactory(program=program, key="bronze", position=1, threshold=Decimal("0"))
    TierFactory(program=program, key="silver", position=2, threshold=Decimal("100"))
    member = place_order("o-1", "1").member
    assert [tier.key for tier in program_config(program).tiers] == ["bronze", "silver"]
    (platinum,) = Tier.objects.bulk_create([Tier(program=program, key="platinum", name="P", position=3, threshold=500)])
    Member.objects.filter(pk=member.pk).update(tier=platinum)
    return Member.objects.get(pk=member.pk)


def test_an_order_leaves_a_tier_the_cached_configuration_does_not_know(place_order, platinum_member):
    changes = TierChange.objects.count()

    # when an order takes their points past Silver's threshold here
    result = place_order("o-2", "150")

    # then they stay in Platinum, with no 'earned' change down to Silver, and the answer's next tier is the
    # database's (none above Platinum)
    member = Member.objects.get(pk=platinum_member.pk)
    assert member.tier.key == "platinum" and result.member.tier_id == member.tier_id
    assert TierChange.objects.count() == changes
    assert result.next_tier is None and member_next_tier(member=member) is None


def test_a_batch_leaves_a_tier_the_cached_configuration_does_not_know(program, platinum_member):
    changes = TierChange.objects.count()

    # when a batch takes their points past Silver's threshold
    orders_record_many(
        program=program,
        orders=[OrderInput(order_id="b-1", customer_id="c1", subtotal=Decimal("150.00"), currency="USD")],
    )

    # then they stay in Platinum with no change
    assert Member.objects.get(pk=platinum_member.pk).tier.key == "platinum"
    assert TierChange.objects.count() == changes
