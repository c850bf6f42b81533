from datetime import timedelta

import pytest

from members.choices import TierChangeReason
from members.models import Member, TierChange
from members.services.ledger import member_lock
from members.services.tiers import tier_evaluate_after_earning
from tests.members.tiers.conftest import T0, tier_key


def test_new_member_starts_in_the_entry_tier(tiered, order):
    # given a tiered program
    tiered()
    # when a first small order creates the member
    result = order("1", "10.00")
    # then they are Green, with a `joined` history row
    assert result.member.tier.key == "green"
    assert list(TierChange.objects.values_list("reason", flat=True)) == [TierChangeReason.JOINED]


def test_order_exactly_at_the_threshold_upgrades_in_the_same_call(tiered, order):
    # given Gold at 300 points earned
    tiered()
    order("1", "299.00")
    assert tier_key() == "green"
    # when the order that brings the member to exactly 300 arrives
    result = order("2", "1.00")
    # then the answer already shows Gold and the change is recorded as earned
    assert result.member.tier.key == "gold" and tier_key() == "gold"
    change = TierChange.objects.get(reason=TierChangeReason.EARNED)
    assert (change.from_tier.key, change.to_tier.key, change.created_at) == ("green", "gold", T0)
    assert change.notified_at is None and change.acting_user is None


def test_one_below_the_threshold_stays(tiered, order):
    # given Gold at 300 points
    tiered()
    # when the member earns 299
    order("1", "299.99")
    # then they stay Green
    assert tier_key() == "green"
    assert not TierChange.objects.filter(reason=TierChangeReason.EARNED).exists()


def test_new_multiplier_applies_from_the_next_order(tiered, order):
    # given Gold (×1.25) at 300 points
    tiered()
    # when the order that crosses the threshold is priced, then the next one
    crossing = order("1", "400.00")
    next_one = order("2", "100.00")
    # then the crossing order earned at ×1, the next at ×1.25
    assert crossing.order.points_awarded == 400
    assert next_one.order.points_awarded == 125


def test_event_crossing_the_threshold_upgrades(tiered, order, review):
    # given a member 50 points below Gold
    tiered()
    order("1", "250.00")
    # when a review worth 100 points is posted
    result = review("r1", at=T0 + timedelta(days=1))
    # then the event answer shows Gold
    assert result.member.tier.key == "gold"


def test_spend_and_orders_metrics_upgrade_in_real_time(tiered, order):
    # given Gold at 3 orders
    tiered(metric="orders", gold="3")
    order("1", "5.00")
    order("2", "5.00")
    assert tier_key() == "green"
    # when the third order arrives
    order("3", "5.00")
    # then the member is Gold
    assert tier_key() == "gold"


def test_refund_below_the_threshold_does_not_downgrade_mid_period(tiered, order, refund, assert_ledger_clean):
    # given a member who reached Gold with one order
    tiered(period="calendar_year")
    order("1", "400.00")
    assert tier_key() == "gold"
    # when most of it is refunded
    refund("1", "rf1", "300.00")
    # then they keep Gold until the recalculation
    assert tier_key() == "gold"
    assert TierChange.objects.filter(reason=TierChangeReason.EARNED).count() == 1
    assert_ledger_clean()


@pytest.mark.django_db
def test_evaluation_is_one_query_without_a_change_and_three_with_one(tiered, order, django_assert_num_queries):
    # given a Green member with 200 points
    tiered()
    member_id = order("1", "200.00").member.pk
    # when the tier is evaluated under the member lock
    from django.db import transaction

    with transaction.atomic():
        member = member_lock(member_id)
        with django_assert_num_queries(1):
            assert tier_evaluate_after_earning(member=member, at=T0) is None
    Member.objects.filter(pk=member_id).update(tier=None)
    with transaction.atomic():
        member = member_lock(member_id)
        # then an upgrade costs one read, one update and one history insert
        with django_assert_num_queries(3):
            assert tier_evaluate_after_earning(member=member, at=T0) is not None


def test_locked_member_is_never_moved_by_earning(tiered, order):
    # given a member put in Green by hand
    tiered()
    member = order("1", "1.00").member
    Member.objects.filter(pk=member.pk).update(tier_locked=True)
    # when they earn past Gold
    order("2", "1000.00")
    # then they stay where they were put
    assert tier_key() == "green"
