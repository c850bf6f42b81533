"""The merchant's admin of rewards, redemptions and codes: per-type validation, fulfilment, cancel with
points returned, code search, fixed query counts. Tenancy of these admins is covered by tests/admin/test_tenancy.py."""

from decimal import Decimal

import pytest
from django.urls import reverse

from loyalty.choices import RewardType, StaffRole
from members.models import Member
from rewards.choices import FulfilmentStatus, RedemptionStatus, VoucherStatus
from rewards.models import Redemption, Reward, Voucher
from rewards.services.redemptions import reward_redeem
from tests.admin.conftest import client_of, staff_user
from tests.factories import RewardFactory
from tests.factories.rewards import member_with_points, reward_of_type


@pytest.fixture
def owner_client(shop_b):
    return client_of(staff_user(shop_b[0], role=StaffRole.OWNER, username="beta-admin"))


def _reward_form(program, **fields) -> dict:
    form = {
        "program": program.pk,
        "key": "new-reward",
        "name": "New reward",
        "type": RewardType.FIXED_DISCOUNT,
        "description": "",
        "image_url": "",
        "position": 0,
        "active": "on",
        "value": "5.00",
        "product_id": "",
        "points_cost": 500,
        "max_points": "",
        "min_tier": "",
        "stock": "",
        "limit_per_member": "",
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
        "min_subtotal": "",
        "code_expiry_days": "",
    }
    return {**form, **fields}


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"type": RewardType.PERCENT_DISCOUNT, "value": "120"}, "A percent discount is at most 100."),
        ({"type": RewardType.FREE_PRODUCT, "value": ""}, "A free product reward needs the product id."),
        ({"type": RewardType.GIFT_CARD, "value": ""}, "This reward type needs a value."),
        ({"type": RewardType.FREE_SHIPPING, "value": "", "variable": "on"}, "Only fixed discounts can be variable"),
        ({"code_expiry_days": "2000000000"}, "At most 3650 days."),
    ],
)
def test_a_reward_the_shop_could_not_honour_is_refused(shop_b, owner_client, fields, problem):
    # given
    program = shop_b[1]

    # when
    response = owner_client.post(reverse("admin:rewards_reward_add"), _reward_form(program, **fields))

    # then
    assert response.status_code == 200
    assert problem in response.content.decode()
    assert not Reward.objects.filter(key="new-reward").exists()


def test_a_merchant_adds_a_reward(shop_b, owner_client):
    # given
    program = shop_b[1]

    # when
    response = owner_client.post(reverse("admin:rewards_reward_add"), _reward_form(program, stock="10"))

    # then
    assert response.status_code == 302
    assert Reward.objects.get(key="new-reward").stock == 10


def test_the_merchant_moves_a_physical_rewards_fulfilment(shop_b, owner_client):
    # given
    program = shop_b[1]
    member = member_with_points(program, 1000)
    redemption, _ = reward_redeem(member=member, reward=reward_of_type(program, RewardType.PHYSICAL, points_cost=300))
    url = reverse("admin:rewards_redemption_change", args=[redemption.pk])

    # when
    response = owner_client.post(url, {"fulfilment_status": FulfilmentStatus.SHIPPED, "fulfilment_note": "UPS 1Z9"})

    # then
    assert response.status_code == 302
    stored = Redemption.objects.get(pk=redemption.pk)
    assert (stored.fulfilment_status, stored.fulfilment_note) == (FulfilmentStatus.SHIPPED, "UPS 1Z9")
    assert stored.fulfilment_updated_at is not None


def test_support_staff_move_fulfilment_but_cannot_edit_the_catalog(shop_b):
    # given
    program = shop_b[1]
    support = client_of(staff_user(shop_b[0], role=StaffRole.SUPPORT, username="beta-support"))
    redemption, _ = reward_redeem(
        member=member_with_points(program, 1000), reward=reward_of_type(program, RewardType.EXPERIENCE)
    )

    # when
    fulfil = support.post(
        reverse("admin:rewards_redemption_changelist"),
        {"action": "mark_fulfilled", "_selected_action": [redemption.pk]},
    )
    add_reward = support.post(reverse("admin:rewards_reward_add"), _reward_form(program))

    # then
    assert fulfil.status_code == 302
    assert Redemption.objects.get(pk=redemption.pk).fulfilment_status == FulfilmentStatus.FULFILLED
    assert add_reward.status_code == 403
    assert not Reward.objects.filter(key="new-reward").exists()


def test_a_discounts_redemption_is_read_only(shop_b, owner_client):
    # given
    program = shop_b[1]
    redemption, _ = reward_redeem(member=member_with_points(program, 1000), reward=RewardFactory(program=program))
    url = reverse("admin:rewards_redemption_change", args=[redemption.pk])

    # when
    page = owner_client.get(url)
    owner_client.post(url, {"fulfilment_status": FulfilmentStatus.SHIPPED})

    # then
    assert page.status_code == 200 and 'name="fulfilment_status"' not in page.content.decode()
    assert Redemption.objects.get(pk=redemption.pk).fulfilment_status == FulfilmentStatus.NOT_REQUIRED


def test_cancelling_redemptions_in_bulk_returns_the_points(shop_b, owner_client, assert_ledger_clean):
    # given
    program = shop_b[1]
    member = member_with_points(program, 1000)
    start = member.points_balance
    reward = RewardFactory(program=program, points_cost=300)
    first, _ = reward_redeem(member=member, reward=reward)
    second, _ = reward_redeem(member=member, reward=reward)

    # when
    response = owner_client.post(
        reverse("admin:rewards_redemption_changelist"),
        {"action": "cancel_and_return_points", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )

    # then
    assert "2 redemption(s) cancelled, points returned." in response.content.decode()
    assert set(Redemption.objects.values_list("status", flat=True)) == {RedemptionStatus.CANCELLED}
    assert Member.objects.get(pk=member.pk).points_balance == start
    assert_ledger_clean()


def test_a_used_code_is_not_cancelled_in_bulk_and_the_merchant_is_told(shop_b, owner_client):
    # given
    program = shop_b[1]
    member = member_with_points(program, 1000)
    start = member.points_balance
    redemption, _ = reward_redeem(member=member, reward=RewardFactory(program=program, points_cost=300))
    Voucher.objects.filter(pk=redemption.voucher.pk).update(status=VoucherStatus.USED)

    # when
    response = owner_client.post(
        reverse("admin:rewards_voucher_changelist"),
        {"action": "cancel_and_return_points", "_selected_action": [redemption.voucher.pk]},
        follow=True,
    )

    # then
    assert f"{redemption.voucher.code}: The code was already used" in response.content.decode()
    assert Member.objects.get(pk=member.pk).points_balance == start - 300


def test_a_code_typed_in_lower_case_is_found(shop_b, owner_client):
    # given
    program = shop_b[1]
    member = member_with_points(program, 1000)
    codes = [
        reward_redeem(member=member, reward=RewardFactory(program=program, points_cost=100))[0].voucher.code
        for _ in range(3)
    ]

    # when
    response = owner_client.get(reverse("admin:rewards_voucher_changelist"), {"q": codes[1].lower()})

    # then
    assert [v.code for v in response.context["cl"].result_list] == [codes[1]]


@pytest.mark.parametrize("model", ["reward", "redemption", "voucher"])
def test_the_lists_cost_the_same_queries_for_1_or_20_rows(shop_b, owner_client, model, django_assert_max_num_queries):
    # given
    program = shop_b[1]
    url = reverse(f"admin:rewards_{model}_changelist")
    member = member_with_points(program, 100_000)
    reward_redeem(member=member, reward=reward_of_type(program, RewardType.PHYSICAL, points_cost=10))
    owner_client.get(url)
    with django_assert_max_num_queries(50) as few:
        owner_client.get(url)
    for _ in range(19):
        reward_redeem(member=member, reward=RewardFactory(program=program, points_cost=10, value=Decimal("1")))

    # when
    with django_assert_max_num_queries(50) as many:
        response = owner_client.get(url)

    # then
    assert response.status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
