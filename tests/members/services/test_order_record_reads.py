"""The order path reads the tier metric and the next expiring lot from before its writes and adds what the order
brings (members/services/orders.py, order_sql.py): what it answers must be what the selectors read afterwards."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from loyalty.choices import ExpiryPolicy, TierMetric, TierPeriod
from members.models import Member, TierChange, Transaction
from members.selectors import member_next_expiry
from members.services.tiers import member_next_tier
from tests.factories import TierFactory

THRESHOLDS = {  # silver, gold in the metric's unit
    TierMetric.POINTS_EARNED: ("100", "1000"),
    TierMetric.SPEND: ("100", "1000"),
    TierMetric.ORDERS: ("2", "5"),
}


def _tiers(program, metric: str, period: str) -> None:
    program.tier_metric, program.tier_period = metric, period
    program.save()
    silver, gold = THRESHOLDS[metric]
    TierFactory(program=program, key="bronze", name="Bronze", threshold=Decimal("0"), position=1)
    TierFactory(program=program, key="silver", name="Silver", threshold=Decimal(silver), position=2)
    TierFactory(program=program, key="gold", name="Gold", threshold=Decimal(gold), position=3)


def _fresh(result) -> Member:
    return Member.objects.select_related("program", "tier").get(pk=result.member.pk)


def _assert_answer_is_the_selectors(result) -> None:
    member = _fresh(result)
    assert result.next_tier_known and result.next_expiry_known
    assert result.member.tier_id == member.tier_id
    assert result.next_tier == member_next_tier(member=member)
    assert result.next_expiry == member_next_expiry(member=member)


@pytest.mark.parametrize(
    "metric, period",
    [
        (TierMetric.POINTS_EARNED, TierPeriod.ROLLING_12_MONTHS),
        (TierMetric.POINTS_EARNED, TierPeriod.LIFETIME),
        (TierMetric.SPEND, TierPeriod.CALENDAR_YEAR),
        (TierMetric.ORDERS, TierPeriod.ROLLING_12_MONTHS),
    ],
)
def test_an_order_upgrades_and_answers_as_the_tier_selectors(program, place_order, assert_ledger_clean, metric, period):
    # given tiers on the metric and period, and a member in the entry tier
    _tiers(program, metric, period)
    long_ago = timezone.now() - timedelta(days=800)

    # when orders arrive: one in the period, one back-dated outside any window but lifetime, one more in the period
    # then each answer's tier and next tier are what the selectors read right after it
    for order_id, subtotal, placed_at in (("1", "60.00", None), ("2", "50.00", long_ago), ("3", "60.00", None)):
        result = place_order(order_id, subtotal, placed_at=placed_at)
        assert result.created
        _assert_answer_is_the_selectors(result)

    # and the period's orders took the member to silver, once
    assert _fresh(result).tier.key == "silver"
    assert TierChange.objects.filter(member=result.member, to_tier__key="silver").count() == 1
    assert_ledger_clean()


def test_pending_points_do_not_count_toward_a_tier_until_active(program, place_order, assert_ledger_clean):
    # given tiers on points earned and a 14-day refund window
    _tiers(program, TierMetric.POINTS_EARNED, TierPeriod.ROLLING_12_MONTHS)
    program.pending_days = 14
    program.save()

    # when an order worth more than silver arrives
    result = place_order("1", "150.00")

    # then its points are pending, the member stays in bronze and the answer says so
    assert result.order.points_status == "pending"
    assert _fresh(result).pending_points == 150
    assert result.member.tier.key == "bronze"
    assert result.next_tier == {"key": "silver", "name": "Silver", "remaining": 100}
    _assert_answer_is_the_selectors(result)
    assert_ledger_clean()


def _fixed_expiry(program, days: int) -> None:
    program.expiry_policy, program.expiry_days = ExpiryPolicy.FIXED, days
    program.save()


def test_the_next_expiry_of_fixed_lots_is_the_selectors(program, place_order, assert_ledger_clean):
    # given a program whose points expire a year after they were earned
    _fixed_expiry(program, 365)

    # when a first order opens the member's first lot
    first = place_order("1", "40.00")
    # then its answer shows that lot, as the selector does
    _assert_answer_is_the_selectors(first)
    assert first.next_expiry["points"] == 40

    # when a second order opens a later lot
    second = place_order("2", "25.00")
    # then the first lot is still the next to expire
    _assert_answer_is_the_selectors(second)
    assert second.next_expiry == {"points": 40, "at": Transaction.objects.get(order=first.order).expires_at}
    assert_ledger_clean()


def test_a_new_lot_that_expires_first_is_the_next_expiry(program, place_order, assert_ledger_clean):
    # given a lot of a year, then the program's expiry cut to 30 days
    _fixed_expiry(program, 365)
    place_order("1", "40.00")
    _fixed_expiry(program, 30)

    # when the next order opens a lot that expires before the first one
    result = place_order("2", "25.00")

    # then the answer's next expiry is the new lot
    assert result.next_expiry["points"] == 25
    _assert_answer_is_the_selectors(result)
    assert_ledger_clean()


def test_an_expired_lot_is_not_the_next_expiry(program, place_order, assert_ledger_clean):
    # given a lot whose expiry has passed (the expiry job has not run yet)
    _fixed_expiry(program, 365)
    first = place_order("1", "40.00")
    Transaction.objects.filter(order=first.order).update(expires_at=timezone.now() - timedelta(days=1))

    # when an order arrives
    result = place_order("2", "25.00")

    # then the next expiry is the new lot, as the selector says
    assert result.next_expiry["points"] == 25
    _assert_answer_is_the_selectors(result)


@pytest.mark.parametrize("policy", [ExpiryPolicy.INACTIVITY, ExpiryPolicy.NEVER])
def test_the_next_expiry_of_other_policies_is_the_selectors(program, place_order, policy):
    # given a program whose points expire after inactivity, or never
    program.expiry_policy, program.expiry_days = policy, 180
    program.save()

    # when an order arrives
    result = place_order("1", "40.00")

    # then the answer shows what the selector shows
    _assert_answer_is_the_selectors(result)
    assert (result.next_expiry is None) == (policy == ExpiryPolicy.NEVER)


def test_a_zero_point_order_under_fixed_expiry_answers_the_old_lot(program, place_order, assert_ledger_clean):
    # given a lot, then a program that earns nothing on small orders
    _fixed_expiry(program, 365)
    first = place_order("1", "40.00")
    program.points_per_currency_unit = Decimal("0.01")
    program.save()

    # when an order worth no point arrives
    result = place_order("2", "5.00")

    # then no ledger row, and the next expiry is still the first lot
    assert result.order.points_awarded == 0
    assert not Transaction.objects.filter(order=result.order).exists()
    assert result.next_expiry == {"points": 40, "at": Transaction.objects.get(order=first.order).expires_at}
    _assert_answer_is_the_selectors(result)
    assert_ledger_clean()
