from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from loyalty.errors import ValidationFailed
from members.models import Member, Transaction
from rewards.choices import FulfilmentStatus, RedemptionStatus, VoucherSource, VoucherStatus
from rewards.errors import AlreadyFulfilled, AlreadyUsed, MinSubtotalNotMet, VoucherCancelled, VoucherExpired
from rewards.models import Redemption, Reward, Voucher
from rewards.services import vouchers as voucher_services
from rewards.services.redemptions import (
    redemption_cancel,
    redemption_fulfilment_update,
    reward_redeem,
    voucher_cancel,
)
from rewards.services.vouchers import voucher_consume, voucher_expire_due, voucher_issue
from tests.factories import RewardFactory
from tests.factories.rewards import member_with_points, reward_of_type

pytestmark = pytest.mark.django_db


def _redeemed(program, **reward_fields):
    member = member_with_points(program, 1000)
    reward = RewardFactory(program=program, points_cost=400, **reward_fields)
    redemption, _ = reward_redeem(member=member, reward=reward)
    return redemption


def test_a_code_is_consumed_once(program):
    # given
    voucher = _redeemed(program).voucher

    # when
    voucher_consume(voucher=voucher, order_id="1001")
    with pytest.raises(AlreadyUsed) as second:
        voucher_consume(voucher=Voucher.objects.get(pk=voucher.pk), order_id="1002")

    # then
    assert second.value.code == "already_used" and second.value.status == 409
    used = Voucher.objects.get(pk=voucher.pk)
    assert (used.status, used.used_order_id) == (VoucherStatus.USED, "1001")


def test_a_stale_copy_of_a_used_code_is_still_refused(program):
    # given: two checkouts read the code before either consumed it
    voucher = _redeemed(program).voucher
    stale = Voucher.objects.get(pk=voucher.pk)
    voucher_consume(voucher=voucher)

    # when
    with pytest.raises(AlreadyUsed):
        voucher_consume(voucher=stale)

    # then
    assert Voucher.objects.get(pk=voucher.pk).status == VoucherStatus.USED


def test_an_expired_code_is_refused_before_and_after_the_expiry_job(program):
    # given
    voucher = _redeemed(program, code_expiry_days=7).voucher
    later = voucher.expires_at + timedelta(seconds=1)

    # when
    with pytest.raises(VoucherExpired) as before_job:
        voucher_consume(voucher=voucher, at=later)
    expired = voucher_expire_due(later)

    # then
    assert before_job.value.code == "voucher_expired"
    assert expired == 1
    assert voucher_expire_due(later) == 0
    with pytest.raises(VoucherExpired):
        voucher_consume(voucher=Voucher.objects.get(pk=voucher.pk), at=later)


def test_the_expiry_job_leaves_live_used_and_undated_codes_alone(program):
    # given
    live = _redeemed(program, code_expiry_days=30).voucher
    undated = _redeemed(program).voucher
    used = _redeemed(program, code_expiry_days=1).voucher
    voucher_consume(voucher=used)

    # when
    touched = voucher_expire_due(timezone.now() + timedelta(days=2))

    # then
    assert touched == 0
    assert {v.status for v in Voucher.objects.filter(pk__in=[live.pk, undated.pk])} == {VoucherStatus.ACTIVE}


def test_a_code_below_its_minimum_subtotal_is_not_consumed(program):
    # given
    voucher = _redeemed(program, min_subtotal=Decimal("50.00")).voucher

    # when
    with pytest.raises(MinSubtotalNotMet) as refused:
        voucher_consume(voucher=voucher, subtotal=Decimal("49.99"))

    # then
    assert refused.value.code == "min_subtotal_not_met"
    assert Voucher.objects.get(pk=voucher.pk).status == VoucherStatus.ACTIVE


def test_cancelling_returns_the_points_with_a_new_ledger_row_and_restocks(program, assert_ledger_clean):
    # given
    redemption = _redeemed(program, stock=3)
    debit = Transaction.objects.get(idempotency_key=f"redemption:{redemption.pk}")

    # when
    voucher_cancel(voucher=redemption.voucher, reason="shopper changed their mind")

    # then
    credit = Transaction.objects.get(idempotency_key=f"redemption-cancel:{redemption.pk}")
    assert (credit.kind, credit.points, credit.balance_after) == ("redeem", 400, 1000)
    assert Transaction.objects.get(pk=debit.pk).points == -400
    member = Member.objects.get(pk=redemption.member_id)
    assert (member.points_balance, member.lifetime_points) == (1000, 0)  # returned points are not earned
    assert Voucher.objects.get(pk=redemption.voucher.pk).status == VoucherStatus.CANCELLED
    assert Reward.objects.get(pk=redemption.reward_id).stock == 3
    assert_ledger_clean()


def test_a_cancelled_code_cannot_be_consumed_nor_cancelled_again(program, assert_ledger_clean):
    # given
    redemption = _redeemed(program)
    redemption_cancel(redemption=redemption)
    voucher = Voucher.objects.get(pk=redemption.voucher.pk)

    # when
    with pytest.raises(VoucherCancelled) as consume:
        voucher_consume(voucher=voucher)
    with pytest.raises(VoucherCancelled):
        voucher_cancel(voucher=voucher)

    # then
    assert consume.value.code == "voucher_cancelled"
    assert Member.objects.get(pk=redemption.member_id).points_balance == 1000
    assert_ledger_clean()


def test_a_used_code_cannot_be_cancelled(program):
    # given
    redemption = _redeemed(program)
    voucher_consume(voucher=redemption.voucher)
    before = Transaction.objects.count()

    # when
    with pytest.raises(AlreadyUsed):
        voucher_cancel(voucher=Voucher.objects.get(pk=redemption.voucher.pk))

    # then
    assert Transaction.objects.count() == before
    assert Member.objects.get(pk=redemption.member_id).points_balance == 600


def test_a_shipped_item_cannot_be_cancelled(program):
    # given
    member = member_with_points(program, 1000)
    redemption, _ = reward_redeem(member=member, reward=reward_of_type(program, "physical", points_cost=400))
    redemption = redemption_fulfilment_update(redemption=redemption, status=FulfilmentStatus.SHIPPED, note="UPS 1Z999")

    # when
    with pytest.raises(AlreadyFulfilled):
        redemption_cancel(redemption=redemption)

    # then
    assert redemption.fulfilment_note == "UPS 1Z999"
    assert Member.objects.get(pk=member.pk).points_balance == 600


def test_a_referral_code_is_cancelled_without_touching_points(program):
    # given
    member = member_with_points(program, 0)
    voucher = voucher_issue(
        member=member, name="$10 off", type="fixed_discount", value=Decimal("10.00"), source=VoucherSource.REFERRAL
    )

    # when
    voucher_cancel(voucher=voucher)

    # then
    assert voucher.status == VoucherStatus.CANCELLED
    assert Transaction.objects.filter(member=member).count() == 0


def test_a_code_collision_draws_another_code(program, monkeypatch):
    # given: the generator first hands out a code that is already taken
    taken = _redeemed(program).voucher.code
    drawn = iter([taken, "NEWCODE23456"])
    monkeypatch.setattr(voucher_services, "voucher_code_generate", lambda: next(drawn))

    # when
    voucher = voucher_issue(member=member_with_points(program, 0), name="Gift", type="gift_card")

    # then
    assert voucher.code == "NEWCODE23456"
    assert Voucher.objects.filter(code=taken).count() == 1


def test_a_cancelled_redemption_is_not_fulfilled(program):
    # given
    member = member_with_points(program, 1000)
    redemption, _ = reward_redeem(member=member, reward=reward_of_type(program, "experience", points_cost=400))
    redemption_cancel(redemption=redemption)

    # when
    with pytest.raises(VoucherCancelled):
        redemption_fulfilment_update(redemption=redemption, status=FulfilmentStatus.FULFILLED)

    # then
    stored = Redemption.objects.get(pk=redemption.pk)
    assert (stored.status, stored.fulfilment_status) == (RedemptionStatus.CANCELLED, FulfilmentStatus.PENDING)


def test_a_discount_has_nothing_to_fulfil(program):
    # given
    redemption = _redeemed(program)

    # when
    with pytest.raises(ValidationFailed):
        redemption_fulfilment_update(redemption=redemption, status=FulfilmentStatus.SHIPPED)

    # then
    assert Redemption.objects.get(pk=redemption.pk).fulfilment_status == FulfilmentStatus.NOT_REQUIRED
