from decimal import Decimal

import pytest

from loyalty.errors import InsufficientPoints
from members.models import Member, Transaction
from rewards.errors import InvalidPointsAmount, MinSubtotalNotMet, NotVariableReward
from rewards.models import Redemption
from rewards.services.redemptions import checkout_discount_max_points, checkout_discount_redeem
from tests.factories import RewardFactory
from tests.factories.rewards import member_with_points

pytestmark = pytest.mark.django_db


@pytest.fixture
def dollar_per_100(program):
    """Every 100 points take $1 off the order."""
    return RewardFactory(program=program, key="points-off", points_cost=100, value=Decimal("1.00"), variable=True)


def test_500_points_take_5_dollars_off_the_order(program, dollar_per_100, assert_ledger_clean):
    # given
    member = member_with_points(program, 800)

    # when
    redemption, created = checkout_discount_redeem(
        member=member, reward=dollar_per_100, points=500, subtotal=Decimal("42.00")
    )

    # then
    assert created
    assert redemption.value == Decimal("5.00") and redemption.points_spent == 500
    assert redemption.order_subtotal == Decimal("42.00")
    assert (redemption.voucher.type, redemption.voucher.value) == ("fixed_discount", Decimal("5.00"))
    assert Member.objects.get(pk=member.pk).points_balance == 300
    assert_ledger_clean()


@pytest.mark.parametrize("points", [0, -100, 150, 99])
def test_points_off_the_steps_are_refused(program, dollar_per_100, points):
    # given
    member = member_with_points(program, 1000)

    # when
    with pytest.raises(InvalidPointsAmount) as refused:
        checkout_discount_redeem(member=member, reward=dollar_per_100, points=points, subtotal=Decimal("50.00"))

    # then
    assert refused.value.code == "invalid_points" and refused.value.status == 400
    assert Redemption.objects.count() == 0


def test_the_discount_is_capped_by_the_order_subtotal(program, dollar_per_100):
    # given
    member = member_with_points(program, 5000)
    before = Transaction.objects.count()

    # when
    with pytest.raises(InvalidPointsAmount) as refused:
        checkout_discount_redeem(member=member, reward=dollar_per_100, points=1300, subtotal=Decimal("12.99"))

    # then
    assert refused.value.fields == {"points": "At most 1200."}
    assert Transaction.objects.count() == before


def test_the_whole_subtotal_can_be_paid_in_points(program, dollar_per_100):
    # given
    member = member_with_points(program, 5000)

    # when
    redemption, _ = checkout_discount_redeem(member=member, reward=dollar_per_100, points=1200, subtotal=Decimal("12"))

    # then
    assert redemption.value == Decimal("12.00")


def test_the_merchant_cap_on_points_per_order_applies(program):
    # given
    reward = RewardFactory(program=program, points_cost=100, value=Decimal("1.00"), variable=True, max_points=1000)

    # when
    most = checkout_discount_max_points(reward=reward, subtotal=Decimal("500"), balance=2550)

    # then
    assert most == 1000
    assert checkout_discount_max_points(reward=reward, subtotal=Decimal("500"), balance=750) == 700
    assert checkout_discount_max_points(reward=reward, subtotal=Decimal("0.99")) == 0


def test_more_points_than_the_balance_are_refused_with_nothing_written(program, dollar_per_100):
    # given
    member = member_with_points(program, 400)
    before = Transaction.objects.count()

    # when
    with pytest.raises(InsufficientPoints):
        checkout_discount_redeem(member=member, reward=dollar_per_100, points=500, subtotal=Decimal("50"))

    # then
    assert Transaction.objects.count() == before
    assert Redemption.objects.count() == 0


def test_an_order_below_the_minimum_subtotal_is_refused(program):
    # given
    reward = RewardFactory(
        program=program, points_cost=100, value=Decimal("1.00"), variable=True, min_subtotal=Decimal("30.00")
    )
    member = member_with_points(program, 1000)

    # when
    with pytest.raises(MinSubtotalNotMet) as refused:
        checkout_discount_redeem(member=member, reward=reward, points=100, subtotal=Decimal("29.99"))

    # then
    assert refused.value.code == "min_subtotal_not_met"
    assert Redemption.objects.count() == 0


def test_a_fixed_cost_reward_is_not_a_checkout_discount(program):
    # given
    member = member_with_points(program, 1000)

    # when
    with pytest.raises(NotVariableReward) as refused:
        checkout_discount_redeem(
            member=member, reward=RewardFactory(program=program), points=500, subtotal=Decimal("50")
        )

    # then
    assert refused.value.code == "reward_not_variable"
