"""Voucher service on the member page: cancel a code (points come back through the ledger) and move a
physical reward's fulfilment."""

from django.urls import reverse

from loyalty.choices import RewardType, StaffRole
from rewards.choices import FulfilmentStatus, VoucherStatus
from rewards.models import Voucher
from rewards.services.redemptions import reward_redeem
from tests.admin.conftest import client_of, staff_user
from tests.factories import RewardFactory


def test_cancelling_a_voucher_returns_the_points(shop_b, assert_ledger_clean):
    # given a member who redeemed 50 points for a code
    merchant, program, member = shop_b
    reward = RewardFactory(program=program, points_cost=50, name="Coffee")
    redemption, _created = reward_redeem(member=member, reward=reward)
    voucher = Voucher.objects.get(redemption=redemption)
    client = client_of(staff_user(merchant, role=StaffRole.SUPPORT))
    page = client.get(reverse("admin:members_member_change", args=[member.pk]))
    # when support cancels the code from the member page
    response = client.post(reverse("admin:members_member_voucher_cancel", args=[member.pk, voucher.pk]), follow=True)
    # then the code is cancelled and the points are back
    assert voucher.code in page.content.decode()
    assert f"Voucher {voucher.code} cancelled." in response.content.decode()
    voucher.refresh_from_db()
    member.refresh_from_db()
    assert (voucher.status, member.points_balance) == (VoucherStatus.CANCELLED, 100)
    assert_ledger_clean()


def test_cancelling_twice_says_so_and_returns_points_once(shop_b, assert_ledger_clean):
    # given a cancelled code
    merchant, program, member = shop_b
    redemption, _created = reward_redeem(member=member, reward=RewardFactory(program=program, points_cost=50))
    voucher = Voucher.objects.get(redemption=redemption)
    client = client_of(staff_user(merchant))
    url = reverse("admin:members_member_voucher_cancel", args=[member.pk, voucher.pk])
    client.post(url)
    # when it is cancelled again
    response = client.post(url, follow=True)
    # then a clear refusal and the points came back once
    assert "not cancelled: This redemption was already cancelled." in response.content.decode()
    member.refresh_from_db()
    assert member.points_balance == 100
    assert_ledger_clean()


def test_marking_a_physical_reward_shipped(shop_b):
    # given a redeemed physical reward
    merchant, program, member = shop_b
    mug = RewardFactory(program=program, type=RewardType.PHYSICAL, value=None, points_cost=10, name="Mug")
    redemption, _created = reward_redeem(member=member, reward=mug)
    client = client_of(staff_user(merchant, role=StaffRole.MANAGER))
    page = client.get(reverse("admin:members_member_change", args=[member.pk]))
    # when the manager marks it shipped with a tracking number
    client.post(
        reverse("admin:members_member_fulfilment", args=[member.pk, redemption.pk]),
        {f"fulfilment_status_{redemption.pk}": FulfilmentStatus.SHIPPED, f"fulfilment_note_{redemption.pk}": "TRK1"},
    )
    # then the redemption says so
    assert 'id="fulfilments"' in page.content.decode()
    redemption.refresh_from_db()
    assert (redemption.fulfilment_status, redemption.fulfilment_note) == (FulfilmentStatus.SHIPPED, "TRK1")


def test_another_merchants_voucher_cannot_be_cancelled(shop_a, shop_b):
    # given A's member's code and B's owner
    _merchant_a, program_a, member_a = shop_a
    redemption, _created = reward_redeem(member=member_a, reward=RewardFactory(program=program_a, points_cost=50))
    voucher = Voucher.objects.get(redemption=redemption)
    client = client_of(staff_user(shop_b[0]))
    # when B's owner posts a cancel, also through their own member's URL
    direct = client.post(reverse("admin:members_member_voucher_cancel", args=[member_a.pk, voucher.pk]))
    via_own = client.post(reverse("admin:members_member_voucher_cancel", args=[shop_b[2].pk, voucher.pk]))
    # then both are not found and the code is still active
    assert (direct.status_code, via_own.status_code) == (404, 404)
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.ACTIVE
