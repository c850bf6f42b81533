"""Claims typed on the landing page: completed when the friend becomes a member."""

from decimal import Decimal

import pytest

from loyalty.errors import NotFound, ValidationFailed
from members.models import Member
from referrals.choices import BlockReason, ReferralStatus
from referrals.models import Referral
from referrals.services.flows import member_join, order_paid
from referrals.services.referrals import referral_claim
from rewards.models import Voucher


def test_claim_then_join_with_the_email_completes_the_referral(program, referrer, assert_ledger_clean):
    # given a claim typed on the landing page
    claim = referral_claim(referrer=referrer, email="Bob.Jones+x@gmail.com").referral
    assert (claim.status, claim.friend) == (ReferralStatus.CLAIMED, None)

    # when the friend joins the shop (no code sent) with that email, spelt differently
    friend, _ = member_join(program=program, customer_id="bob", email="bobjones@gmail.com")

    # then the claim becomes their referral, with the friend voucher; their first order converts it
    claim.refresh_from_db()
    assert (claim.status, claim.friend) == (ReferralStatus.JOINED, friend)
    assert claim.friend_voucher.member == friend
    order_paid(program=program, order_id="1", customer_id="bob", subtotal=Decimal("50"), currency="USD")
    assert Member.objects.get(pk=referrer.pk).points_balance == 500
    assert_ledger_clean()


def test_claim_by_a_member_who_has_not_ordered_rewards_at_once(program, referrer):
    # given a member who joined without a code and never ordered
    friend, _ = member_join(program=program, customer_id="bob", email="bob@example.com")

    # when they claim on the landing page
    result = referral_claim(referrer=referrer, email="BOB@example.com")

    # then they are attributed and hold the voucher right away
    assert result.created
    assert result.referral.status == ReferralStatus.JOINED
    assert Voucher.objects.get(member=friend) == result.referral.friend_voucher


def test_claim_by_a_member_who_ordered_is_blocked(program, referrer):
    # given a member who already ordered
    order_paid(
        program=program, order_id="1", customer_id="bob", email="bob@example.com", subtotal=Decimal("9"), currency="USD"
    )

    # when they claim
    result = referral_claim(referrer=referrer, email="bob@example.com")

    # then it is blocked as an existing customer
    assert result.referral.block_reason == BlockReason.EXISTING_CUSTOMER
    assert not Voucher.objects.exists()


def test_claim_with_the_referrers_own_email_is_blocked(program, referrer):
    # given / when the referrer claims their own offer with a plus-tag
    result = referral_claim(referrer=referrer, email="alice+friend@example.com")

    # then
    assert result.referral.block_reason == BlockReason.SAME_EMAIL


def test_second_claim_of_an_email_is_not_a_new_referral(program, referrer):
    # given a claim
    first = referral_claim(referrer=referrer, email="bob@example.com")
    other, _ = member_join(program=program, customer_id="zed", email="zed@example.com")

    # when the same person claims again, on another referrer's page too
    again = referral_claim(referrer=referrer, email="bob@example.com")
    elsewhere = referral_claim(referrer=other, email="Bob@Example.com")

    # then the first claim stands
    assert first.created and not again.created and not elsewhere.created
    assert again.referral == first.referral == elsewhere.referral
    assert Referral.objects.count() == 1


def test_claim_then_blocked_at_join_when_the_member_turns_out_to_share_the_phone(program, referrer):
    # given a claim with a fresh email
    claim = referral_claim(referrer=referrer, email="bob@example.com").referral

    # when the member behind it joins with the referrer's phone
    member_join(program=program, customer_id="bob", email="bob@example.com", phone="415.555.0100")

    # then the claim is blocked now, without the friend reward
    claim.refresh_from_db()
    assert (claim.status, claim.block_reason) == (ReferralStatus.BLOCKED, BlockReason.SAME_PHONE)
    assert not Voucher.objects.exists()


@pytest.mark.parametrize("email", ["", "not-an-email", "a@b", "x" * 300 + "@example.com"])
def test_claim_with_a_bad_email_writes_nothing(program, referrer, email):
    # given / when
    with pytest.raises(ValidationFailed) as error:
        referral_claim(referrer=referrer, email=email)

    # then
    assert error.value.code == "invalid_email"
    assert not Referral.objects.exists()


def test_claim_when_referrals_are_off(program, referrer):
    # given
    program.referrals_enabled = False
    program.save()
    referrer = Member.objects.select_related("program").get(pk=referrer.pk)

    # when / then
    with pytest.raises(NotFound):
        referral_claim(referrer=referrer, email="bob@example.com")
