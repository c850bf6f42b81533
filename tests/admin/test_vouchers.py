"""Voucher service on the member page: cancel a code (points come back through the ledger) and move a
physical reward's fulfilment."""

from django.urls import reverse

from loyalty.choices import RewardType, StaffRole
from loyalty.models import AuditEntry
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


def test_resending_a_voucher_emails_the_code_again_and_is_audited(
    shop_b, mailoutbox, django_capture_on_commit_callbacks
):
    # given a member who redeemed a code, in an Arabic-language program
    merchant, program, member = shop_b
    type(program).objects.filter(pk=program.pk).update(locale="ar")
    redemption, _created = reward_redeem(member=member, reward=RewardFactory(program=program, points_cost=50))
    voucher = Voucher.objects.get(redemption=redemption)
    client = client_of(staff_user(merchant, role=StaffRole.SUPPORT))
    page = client.get(reverse("admin:members_member_change", args=[member.pk]))
    mailoutbox.clear()
    # when support resends it from the member page, twice
    url = reverse("admin:members_member_voucher_resend", args=[member.pk, voucher.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    # then two emails with the code went to the member, in the program's language, and both are audited
    assert "Resend email" in page.content.decode()
    assert f"Voucher {voucher.code} emailed again to {member.email}." in response.content.decode()
    assert [mail.to for mail in mailoutbox] == [[member.email], [member.email]]
    assert all(voucher.code in mail.body for mail in mailoutbox)
    assert 'dir="rtl"' in mailoutbox[0].alternatives[0][0]
    entries = AuditEntry.objects.filter(action="voucher_resend", object_id=str(voucher.pk))
    assert entries.count() == 2


def test_a_cancelled_voucher_or_an_unsubscribed_member_is_not_resent(shop_b, mailoutbox):
    # given a cancelled code and an active one of a member who unsubscribed
    merchant, program, member = shop_b
    reward = RewardFactory(program=program, points_cost=10)
    cancelled = Voucher.objects.get(redemption=reward_redeem(member=member, reward=reward)[0])
    active = Voucher.objects.get(redemption=reward_redeem(member=member, reward=reward, idempotency_key="second")[0])
    client = client_of(staff_user(merchant))
    client.post(reverse("admin:members_member_voucher_cancel", args=[member.pk, cancelled.pk]))
    mailoutbox.clear()
    # when both are resent (the second after the member unsubscribed), and with a GET
    refused = client.post(reverse("admin:members_member_voucher_resend", args=[member.pk, cancelled.pk]), follow=True)
    type(member).objects.filter(pk=member.pk).update(emails_allowed=False)
    muted = client.post(reverse("admin:members_member_voucher_resend", args=[member.pk, active.pk]), follow=True)
    get = client.get(reverse("admin:members_member_voucher_resend", args=[member.pk, active.pk]))
    # then nothing is sent, the merchant is told why, and nothing is audited
    assert f"Voucher {cancelled.code} not resent: the code is cancelled" in refused.content.decode()
    assert "unsubscribed" in muted.content.decode()
    assert get.status_code == 405
    assert mailoutbox == []
    assert not AuditEntry.objects.filter(action="voucher_resend").exists()


def test_another_merchants_voucher_cannot_be_resent(shop_a, shop_b, mailoutbox):
    # given A's member's code and B's owner
    _merchant_a, program_a, member_a = shop_a
    redemption, _created = reward_redeem(member=member_a, reward=RewardFactory(program=program_a, points_cost=50))
    voucher = Voucher.objects.get(redemption=redemption)
    mailoutbox.clear()
    # when B's owner posts a resend
    response = client_of(staff_user(shop_b[0])).post(
        reverse("admin:members_member_voucher_resend", args=[member_a.pk, voucher.pk])
    )
    # then not found, nothing sent
    assert response.status_code == 404 and mailoutbox == []
