"""The audit log: every merchant action that changes money, points or configuration leaves one entry with
who, what and the before/after values; merchants see only their own entries, read-only."""

from django.urls import reverse

from loyalty.choices import StaffRole
from loyalty.models import ApiKey, AuditEntry
from rewards.models import Voucher
from rewards.services.redemptions import reward_redeem
from tests.admin.conftest import client_of, staff_user
from tests.admin.test_program_config import form_data
from tests.factories import RewardFactory, TierFactory


def test_a_points_adjustment_is_audited_with_the_balance_before_and_after(shop_b):
    # given a manager and a member with 100 points
    merchant, program, member = shop_b
    manager = staff_user(merchant, role=StaffRole.MANAGER)
    # when the manager credits 250 points
    client_of(manager).post(
        reverse("admin:members_member_adjust_points", args=[member.pk]),
        {"adjust_points": 250, "adjust_reason": "Parcel lost"},
    )
    # then one entry says who did what, from 100 to 350
    entry = AuditEntry.objects.get(action="points_adjust")
    assert (entry.merchant, entry.program, entry.actor, entry.object_type, entry.object_id) == (
        merchant, program, manager, "members.member", str(member.pk),
    )  # fmt: skip
    assert entry.before == {"points_balance": 100}
    assert entry.after["points_balance"] == 350 and entry.after["points"] == 250
    assert entry.note == "Parcel lost"


def test_a_refused_adjustment_is_not_audited(shop_b):
    # given a member with 100 points
    merchant, _program, member = shop_b
    # when support tries to debit 500
    client_of(staff_user(merchant, role=StaffRole.SUPPORT)).post(
        reverse("admin:members_member_adjust_points", args=[member.pk]),
        {"adjust_points": -500, "adjust_reason": "Mistake"},
    )
    # then nothing was changed, nothing is logged
    assert not AuditEntry.objects.filter(action="points_adjust").exists()


def test_a_tier_assignment_is_audited(shop_b):
    # given an invite-only tier
    merchant, program, member = shop_b
    vip = TierFactory(program=program, key="vip", name="VIP", invite_only=True, threshold=None, position=9)
    old_tier_id = member.tier_id
    # when the owner assigns it
    client_of(staff_user(merchant, username="boss")).post(
        reverse("admin:members_member_tier_assign", args=[member.pk]), {"tier_key": "vip"}
    )
    # then the entry has the tier before and after
    entry = AuditEntry.objects.get(action="tier_assign")
    assert entry.before == {"tier_id": old_tier_id, "tier_locked": False}
    assert entry.after == {"tier_id": vip.pk, "tier_locked": True}


def test_a_voucher_cancellation_is_audited(shop_b):
    # given a redeemed code
    merchant, program, member = shop_b
    reward_redeem(member=member, reward=RewardFactory(program=program, key="mug", points_cost=10))
    voucher = Voucher.objects.get(member=member)
    # when support cancels it
    client_of(staff_user(merchant, role=StaffRole.SUPPORT)).post(
        reverse("admin:members_member_voucher_cancel", args=[member.pk, voucher.pk])
    )
    # then the voucher's status change is logged
    entry = AuditEntry.objects.get(action="voucher_cancel")
    assert (entry.object_type, entry.object_id) == ("rewards.voucher", str(voucher.pk))
    assert entry.before["status"] != entry.after["status"] == "cancelled"


def test_a_program_change_logs_only_the_changed_fields(shop_b):
    # given the owner on the program page
    merchant, program, _member = shop_b
    client = client_of(staff_user(merchant))
    url = reverse("admin:loyalty_program_change", args=[program.pk])
    data = form_data(client.get(url))
    # when they change the earning rate and save
    data["points_per_currency_unit"] = "2.5"
    assert client.post(url, data).status_code == 302
    # then the entry has that one field, before and after
    entry = AuditEntry.objects.get(action="program_change")
    assert entry.before == {"points_per_currency_unit": "1.0000"}
    assert entry.after == {"points_per_currency_unit": "2.5"}


def test_saving_the_program_unchanged_logs_nothing(shop_b):
    # given the owner on the program page
    merchant, program, _member = shop_b
    client = client_of(staff_user(merchant))
    url = reverse("admin:loyalty_program_change", args=[program.pk])
    # when they save without changes
    assert client.post(url, form_data(client.get(url))).status_code == 302
    # then no entry
    assert not AuditEntry.objects.exists()


def test_an_inline_reward_deleted_on_the_program_page_is_audited(shop_b):
    # given the program page with its one reward
    merchant, program, _member = shop_b
    client = client_of(staff_user(merchant))
    url = reverse("admin:loyalty_program_change", args=[program.pk])
    data = form_data(client.get(url))
    reward_prefix = next(key[: -len("-id")] for key in data if key.endswith("-id") and key.startswith("rewards"))
    reward_id = data[f"{reward_prefix}-id"]
    # when the owner deletes the reward
    data[f"{reward_prefix}-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    # then the entry keeps the deleted row
    entry = AuditEntry.objects.get(action="reward_delete")
    assert entry.object_id == str(reward_id)
    assert entry.before["key"] == "beta-five"


def test_api_keys_and_secrets_are_audited_without_their_values(shop_b):
    # given the owner
    merchant, program, _member = shop_b
    client = client_of(staff_user(merchant))
    key = ApiKey.objects.get(program=program)
    # when they issue a key, revoke the old one and rotate a secret
    client.post(reverse("admin:loyalty_program_api_key_issue", args=[program.pk]), {"new_api_key_name": "erp"})
    client.post(reverse("admin:loyalty_program_api_key_revoke", args=[program.pk, key.pk]))
    client.post(reverse("admin:loyalty_program_secret_rotate", args=[program.pk, "digest_secret"]))
    # then three entries, none holding a secret
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["api_key_issue", "api_key_revoke", "secret_rotate"]
    program.refresh_from_db()
    logged = str(list(AuditEntry.objects.values_list("before", "after")))
    assert program.digest_secret not in logged
    assert all(k.key_hash not in logged for k in ApiKey.objects.all())


def test_the_audit_log_is_scoped_and_read_only(shop_a, shop_b):
    # given an adjustment in each shop
    for merchant, _program, member in (shop_a, shop_b):
        client_of(staff_user(merchant, username=f"m{merchant.pk}")).post(
            reverse("admin:members_member_adjust_points", args=[member.pk]),
            {"adjust_points": 5, "adjust_reason": "x"},
        )
    entry_a = AuditEntry.objects.get(merchant=shop_a[0])
    client = client_of(staff_user(shop_b[0], role=StaffRole.SUPPORT))
    # when B's support opens the list and A's entry
    listing = client.get(reverse("admin:loyalty_auditentry_changelist"))
    other = client.get(reverse("admin:loyalty_auditentry_change", args=[entry_a.pk]))
    # then they see B's entry only, and cannot edit it
    assert listing.status_code == 200
    assert [e.merchant_id for e in listing.context["cl"].result_list] == [shop_b[0].pk]
    assert other.status_code == 302  # the admin redirects away from a row outside the queryset
    assert not listing.context["cl"].model_admin.has_change_permission(listing.wsgi_request)


def _physical_redemptions(program, member, count):
    from loyalty.choices import RewardType

    mug = RewardFactory(program=program, key="audit-mug", type=RewardType.PHYSICAL, value=None, points_cost=10)
    return [reward_redeem(member=member, reward=mug, idempotency_key=f"mug-{n}")[0] for n in range(count)]


def test_bulk_fulfilment_and_cancel_actions_audit_each_redemption(shop_b):
    # given two physical redemptions and a manager on the redemption list
    from rewards.choices import FulfilmentStatus

    merchant, program, member = shop_b
    first, second, third = _physical_redemptions(program, member, 3)
    client = client_of(staff_user(merchant, role=StaffRole.MANAGER))
    changelist = reverse("admin:rewards_redemption_changelist")
    # when two are marked shipped in bulk, and the third cancelled in bulk (with a shipped one, refused)
    client.post(changelist, {"action": "mark_shipped", "_selected_action": [first.pk, second.pk]})
    client.post(changelist, {"action": "cancel_and_return_points", "_selected_action": [first.pk, third.pk]})
    # then one entry per redemption and action, with the status before and after
    shipped = AuditEntry.objects.filter(action="fulfilment_update").order_by("object_id")
    assert [e.object_id for e in shipped] == sorted([str(first.pk), str(second.pk)])
    assert all(e.before["fulfilment_status"] == FulfilmentStatus.PENDING for e in shipped)
    assert all(e.after["fulfilment_status"] == FulfilmentStatus.SHIPPED for e in shipped)
    cancel = AuditEntry.objects.get(action="redemption_cancel")
    assert (cancel.object_id, cancel.before["status"], cancel.after["status"]) == (
        str(third.pk),
        "completed",
        "cancelled",
    )


def test_a_fulfilment_saved_on_the_redemption_page_is_audited(shop_b):
    # given a physical redemption
    from rewards.choices import FulfilmentStatus

    merchant, program, member = shop_b
    (redemption,) = _physical_redemptions(program, member, 1)
    # when support saves it as fulfilled with a note on its change page
    client_of(staff_user(merchant, role=StaffRole.SUPPORT)).post(
        reverse("admin:rewards_redemption_change", args=[redemption.pk]),
        {"fulfilment_status": FulfilmentStatus.FULFILLED, "fulfilment_note": "Handed over"},
    )
    # then the entry has the note and status after
    entry = AuditEntry.objects.get(action="fulfilment_update")
    assert (entry.after["fulfilment_status"], entry.after["fulfilment_note"]) == ("fulfilled", "Handed over")


def test_cancelling_codes_from_the_voucher_list_is_audited(shop_b):
    # given a code
    merchant, program, member = shop_b
    redemption, _created = reward_redeem(member=member, reward=RewardFactory(program=program, points_cost=50))
    voucher = Voucher.objects.get(redemption=redemption)
    # when the owner cancels it with the list action
    client_of(staff_user(merchant)).post(
        reverse("admin:rewards_voucher_changelist"),
        {"action": "cancel_and_return_points", "_selected_action": [voucher.pk]},
    )
    # then it is audited
    entry = AuditEntry.objects.get(action="voucher_cancel")
    assert (entry.object_id, entry.before["status"], entry.after["status"]) == (str(voucher.pk), "active", "cancelled")


def test_a_superuser_giving_staff_a_role_is_audited_in_the_merchant(shop_b, admin_user):
    # given a user without a merchant
    from django.contrib.auth import get_user_model

    merchant = shop_b[0]
    newcomer = get_user_model().objects.create_user(username="newcomer", password="pw")
    # when a superuser makes them the merchant's support
    client_of(admin_user).post(
        reverse("admin:loyalty_merchantmembership_add"),
        {"user": newcomer.pk, "merchant": merchant.pk, "role": StaffRole.SUPPORT},
    )
    # then the merchant's audit log says so
    entry = AuditEntry.objects.get(action="staff_add")
    assert (entry.merchant, entry.actor, entry.after["role"]) == (merchant, admin_user, StaffRole.SUPPORT)


def test_a_superuser_creating_and_renaming_a_merchant_is_audited_in_that_merchant(admin_user):
    # given a superuser in the admin
    from loyalty.models import Merchant

    client = client_of(admin_user)
    # when they add a merchant, then rename it
    client.post(reverse("admin:loyalty_merchant_add"), {"name": "Tea House"})
    merchant = Merchant.objects.get(name="Tea House")
    client.post(reverse("admin:loyalty_merchant_change", args=[merchant.pk]), {"name": "Tea House & Co"})
    # then the merchant's audit log holds both, with who did it and what changed
    added = AuditEntry.objects.get(action="merchant_add")
    changed = AuditEntry.objects.get(action="merchant_change")
    assert (added.merchant, added.actor, added.after["name"]) == (merchant, admin_user, "Tea House")
    assert (changed.before, changed.after) == ({"name": "Tea House"}, {"name": "Tea House & Co"})
