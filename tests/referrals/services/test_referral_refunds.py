"""A refund of the qualifying order inside the pending window cancels the referrer's reward."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from members.choices import TransactionStatus
from members.models import Member, Transaction
from members.services.pending import activate_pending_points
from referrals.choices import ReferralStatus
from referrals.models import Referral
from referrals.selectors import referral_stats
from referrals.services.flows import member_join, order_paid, order_refunded
from rewards.choices import VoucherStatus
from rewards.models import Voucher


@pytest.fixture
def pending_program(program):
    program.pending_days = 14
    program.save()
    return program


@pytest.fixture
def converted(pending_program, referrer):
    member_join(
        program=pending_program, customer_id="bob", email="bob@example.com", referral_code=referrer.referral_code
    )
    order_paid(program=pending_program, order_id="1", customer_id="bob", subtotal=Decimal("80"), currency="USD")
    return Referral.objects.get()


def test_referral_points_are_pending_with_the_orders_points(converted, referrer):
    # given / when a referral converted in a program with a 14-day pending period
    order_row = Transaction.objects.get(order=converted.qualifying_order, kind="earn")
    referral_row = Transaction.objects.get(member=referrer, kind="referral")

    # then the referrer's points wait exactly as long as the order's
    assert referral_row.status == TransactionStatus.PENDING
    assert referral_row.activates_at == order_row.activates_at == converted.reward_pending_until
    referrer.refresh_from_db()
    assert (referrer.points_balance, referrer.pending_points) == (0, 500)


def test_full_refund_inside_the_window_cancels_the_reward(converted, referrer, pending_program, assert_ledger_clean):
    # given a converted referral with pending points
    # when the qualifying order is fully refunded inside the window, twice (a retry)
    order_refunded(program=pending_program, order_id="1", refund_id="r1", amount=Decimal("80"))
    order_refunded(program=pending_program, order_id="1", refund_id="r1", amount=Decimal("80"))

    # then the referral is cancelled and the referrer's pending points are gone, also after activation
    converted.refresh_from_db()
    assert converted.status == ReferralStatus.CANCELLED
    referrer.refresh_from_db()
    assert (referrer.points_balance, referrer.pending_points) == (0, 0)
    activate_pending_points(timezone.now() + timedelta(days=15))
    referrer.refresh_from_db()
    assert (referrer.points_balance, referrer.pending_points, referrer.lifetime_points) == (0, 0, 0)
    assert_ledger_clean()


def test_partial_refund_keeping_the_minimum_keeps_the_reward(converted, referrer, pending_program):
    # given a converted referral on an 80.00 order, minimum 50.00
    # when 30.00 is refunded
    order_refunded(program=pending_program, order_id="1", refund_id="r1", amount=Decimal("30"))

    # then the order still qualifies: the reward stays
    converted.refresh_from_db()
    assert converted.status == ReferralStatus.CONVERTED
    assert Member.objects.get(pk=referrer.pk).pending_points == 500


def test_partial_refund_below_the_minimum_cancels(converted, referrer, pending_program, assert_ledger_clean):
    # given / when 30.01 of 80.00 is refunded, leaving 49.99
    order_refunded(program=pending_program, order_id="1", refund_id="r1", amount=Decimal("30.01"))

    # then
    converted.refresh_from_db()
    assert converted.status == ReferralStatus.CANCELLED
    assert Member.objects.get(pk=referrer.pk).pending_points == 0
    assert_ledger_clean()


def test_refund_after_activation_leaves_the_reward(converted, referrer, pending_program, assert_ledger_clean):
    # given the pending period is over and the points are active
    activate_pending_points(timezone.now() + timedelta(days=15))

    # when the order is refunded
    order_refunded(program=pending_program, order_id="1", refund_id="r1", amount=Decimal("80"))

    # then the referral reward stands
    converted.refresh_from_db()
    assert converted.status == ReferralStatus.CONVERTED
    assert Member.objects.get(pk=referrer.pk).points_balance == 500
    assert_ledger_clean()


def test_without_pending_period_the_reward_is_immediate_and_stays(program, referrer, assert_ledger_clean):
    # given no pending period
    member_join(program=program, customer_id="bob", email="bob@example.com", referral_code=referrer.referral_code)
    order_paid(program=program, order_id="1", customer_id="bob", subtotal=Decimal("80"), currency="USD")

    # when the order is refunded
    order_refunded(program=program, order_id="1", refund_id="r1", amount=Decimal("80"))

    # then the points were active at once and there is no window to cancel them in
    assert Member.objects.get(pk=referrer.pk).points_balance == 500
    assert Referral.objects.get().status == ReferralStatus.CONVERTED
    assert_ledger_clean()


def test_cancelled_referral_is_not_rewarded_by_a_later_order(converted, referrer, pending_program):
    # given a referral cancelled by a refund
    order_refunded(program=pending_program, order_id="1", refund_id="r1", amount=Decimal("80"))

    # when the friend orders again
    order_paid(program=pending_program, order_id="2", customer_id="bob", subtotal=Decimal("90"), currency="USD")

    # then the referral stays cancelled
    assert Referral.objects.get().status == ReferralStatus.CANCELLED
    assert Member.objects.get(pk=referrer.pk).pending_points == 0


def test_refund_cancels_an_unused_referrer_voucher(pending_program, referrer):
    # given a voucher reward for the referrer, converted within the window
    pending_program.referrer_reward = {"type": "fixed_discount", "value": "20.00"}
    pending_program.save()
    member_join(program=pending_program, customer_id="bob", email="b@example.com", referral_code=referrer.referral_code)
    order_paid(program=pending_program, order_id="1", customer_id="bob", subtotal=Decimal("80"), currency="USD")

    # when the order is refunded
    order_refunded(program=pending_program, order_id="1", refund_id="r1", amount=Decimal("80"))

    # then the referrer's voucher is cancelled
    assert Voucher.objects.get(member=referrer).status == VoucherStatus.CANCELLED
    assert Referral.objects.get().status == ReferralStatus.CANCELLED


def test_cancelled_referral_is_not_counted_as_converted(converted, referrer, pending_program):
    # given / when the qualifying order is refunded inside the window
    order_refunded(program=pending_program, order_id="1", refund_id="r1", amount=Decimal("80"))

    # then the stats no longer count the conversion nor its points
    stats = referral_stats(program=pending_program, referrer=referrer)
    assert (stats.invites_claimed, stats.friends_converted, stats.referrer_points_granted) == (1, 0, 0)
