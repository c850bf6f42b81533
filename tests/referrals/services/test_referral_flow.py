from decimal import Decimal

from members.models import Member
from referrals.choices import ReferralStatus
from referrals.models import Referral
from referrals.services.flows import member_join, order_paid
from rewards.choices import VoucherSource
from rewards.models import Voucher


def test_friend_joining_with_the_code_gets_the_friend_voucher(program, referrer, assert_ledger_clean):
    # given a referrer with a code
    # when a new member joins with it
    friend, created = member_join(
        program=program, customer_id="bob", email="bob@example.com", referral_code=referrer.referral_code.lower()
    )

    # then the friend is attributed and holds a 10.00 voucher needing a 50.00 subtotal
    assert created
    referral = Referral.objects.get(friend=friend)
    assert referral.referrer == referrer
    assert referral.status == ReferralStatus.JOINED
    assert Member.objects.get(pk=friend.pk).referred_by_id == referrer.pk
    voucher = Voucher.objects.get(member=friend)
    assert voucher.source == VoucherSource.REFERRAL
    assert voucher.type == "fixed_discount"
    assert voucher.value == Decimal("10.00")
    assert voucher.min_subtotal == Decimal("50.00")
    assert referral.friend_voucher == voucher
    assert_ledger_clean()


def test_first_qualifying_order_rewards_the_referrer_once(program, referrer, assert_ledger_clean):
    # given a referred friend
    friend, _ = member_join(
        program=program, customer_id="bob", email="bob@example.com", referral_code=referrer.referral_code
    )

    # when the friend orders below the minimum, then above it, then again
    order_paid(program=program, order_id="1", customer_id="bob", subtotal=Decimal("49.99"), currency="USD")
    after_small = Member.objects.get(pk=referrer.pk).points_balance
    order_paid(program=program, order_id="2", customer_id="bob", subtotal=Decimal("50.00"), currency="USD")
    order_paid(program=program, order_id="3", customer_id="bob", subtotal=Decimal("80.00"), currency="USD")

    # then only the first qualifying order (#2) converts the referral, with 500 points for the referrer
    assert after_small == 0
    referral = Referral.objects.get(friend=friend)
    assert referral.status == ReferralStatus.CONVERTED
    assert referral.qualifying_order.order_id == "2"
    referrer.refresh_from_db()
    assert referrer.points_balance == 500
    assert referrer.transactions.filter(kind="referral").count() == 1
    assert_ledger_clean()


def test_same_order_twice_rewards_once(program, referrer, assert_ledger_clean):
    # given a referred friend
    member_join(program=program, customer_id="bob", email="bob@example.com", referral_code=referrer.referral_code)

    # when the same paid order arrives twice
    first = order_paid(program=program, order_id="A-1", customer_id="bob", subtotal=Decimal("60"), currency="USD")
    second = order_paid(program=program, order_id="A-1", customer_id="bob", subtotal=Decimal("60"), currency="USD")

    # then the referrer is rewarded once
    assert first.created and not second.created
    referrer.refresh_from_db()
    assert referrer.points_balance == 500
    assert_ledger_clean()


def test_order_carrying_the_code_attributes_a_new_buyer_and_converts(program, referrer, assert_ledger_clean):
    # given a shopper unknown to the program
    # when their first order carries the referral code (the member is created from the order's email)
    result = order_paid(
        program=program,
        order_id="W-1",
        customer_id="carol",
        email="carol@example.com",
        subtotal=Decimal("75.00"),
        currency="USD",
        referral_code=referrer.referral_code,
    )

    # then the buyer is the referrer's friend, got the friend voucher, and the referrer got the points
    referral = Referral.objects.get(friend=result.member)
    assert referral.status == ReferralStatus.CONVERTED
    assert Voucher.objects.filter(member=result.member, source=VoucherSource.REFERRAL).count() == 1
    referrer.refresh_from_db()
    assert referrer.points_balance == 500
    assert_ledger_clean()


def test_referrer_voucher_reward(program, referrer):
    # given a programme rewarding the referrer with a 15% voucher
    program.referrer_reward = {"type": "percent_discount", "value": "15"}
    program.save()
    member_join(program=program, customer_id="bob", email="bob@example.com", referral_code=referrer.referral_code)

    # when the friend's qualifying order is paid
    order_paid(program=program, order_id="1", customer_id="bob", subtotal=Decimal("50"), currency="USD")

    # then the referrer holds a 15% voucher and no points
    voucher = Voucher.objects.get(member=referrer)
    assert voucher.type == "percent_discount"
    assert voucher.value == Decimal("15")
    assert Referral.objects.get().referrer_voucher == voucher
    assert Member.objects.get(pk=referrer.pk).points_balance == 0


def test_unknown_code_is_ignored(program, referrer):
    # given / when a member joins with a code nobody has
    friend, created = member_join(program=program, customer_id="bob", email="bob@example.com", referral_code="ZZZZZZZZ")

    # then they are a plain member
    assert created
    assert not Referral.objects.exists()
    assert Member.objects.get(pk=friend.pk).referred_by_id is None


def test_codes_of_another_program_do_not_work(program, referrer):
    # given a second program running referrals
    from tests.factories import ProgramFactory

    other = ProgramFactory(referrals_enabled=True, friend_reward=program.friend_reward)

    # when a member of the other program joins with this program's code
    member_join(program=other, customer_id="bob", email="bob@example.com", referral_code=referrer.referral_code)

    # then nothing is attributed across programs
    assert not Referral.objects.exists()


def test_disabled_programme_ignores_codes(program, referrer):
    # given referrals switched off
    program.referrals_enabled = False
    program.save()

    # when a friend joins with a code
    member_join(program=program, customer_id="bob", email="bob@example.com", referral_code=referrer.referral_code)

    # then nothing happens
    assert not Referral.objects.exists()
    assert not Voucher.objects.exists()
