"""`redemption_answer` is `RedemptionOutputSerializer`'s body, built directly: the same keys in the same order and
the same values, for every reward type, a code that expires or not, a discount at checkout, a tiered member in a
program whose points expire, a replayed redemption and a redemption whose code is gone (left to the serializer)."""

from decimal import Decimal

import pytest

from loyalty.choices import ExpiryPolicy
from members.models import Member
from rewards.api.serializers import RedemptionOutputSerializer, redemption_answer
from rewards.models import Redemption
from rewards.services.redemptions import checkout_discount_redeem, reward_redeem
from tests.factories import RewardFactory, TierFactory
from tests.factories.rewards import REWARD_TYPE_FIELDS, member_with_points, reward_of_type

pytestmark = pytest.mark.django_db


def _both(redemption: Redemption, program) -> tuple[list, list]:
    return list(redemption_answer(redemption, program).items()), list(
        RedemptionOutputSerializer(redemption).data.items()
    )


@pytest.mark.parametrize("reward_type", sorted(REWARD_TYPE_FIELDS))
@pytest.mark.parametrize("code_expiry_days", [None, 30])
def test_a_redemption_renders_as_the_serializer_renders_it(program, reward_type, code_expiry_days):
    # given a tiered member of a program whose points expire, and a reward of each type
    program.expiry_policy, program.expiry_days = ExpiryPolicy.FIXED, 365
    program.save()
    gold = TierFactory(program=program, key="gold", threshold=Decimal("0"))
    TierFactory(program=program, key="black", threshold=Decimal("5000"), position=9)
    member = member_with_points(program, 2000, customer_id="c-1", tier=gold)
    reward = reward_of_type(program, reward_type, points_cost=300, code_expiry_days=code_expiry_days)

    # when it is redeemed, then replayed with its Idempotency-Key
    redemption, _ = reward_redeem(member=member, reward=reward, idempotency_key="k-1")
    replay, created = reward_redeem(member=member, reward=reward, idempotency_key="k-1")

    # then both render as the serializer renders them
    assert created is False
    for rendered in (redemption, replay):
        direct, serialized = _both(rendered, program)
        assert direct == serialized


def test_a_discount_at_checkout_renders_as_the_serializer_renders_it(program):
    member = member_with_points(program, 1000, customer_id="c-1")
    reward = RewardFactory(program=program, variable=True, points_cost=100, value=Decimal("1.00"), max_points=None)
    redemption, _ = checkout_discount_redeem(member=member, reward=reward, points=300, subtotal=Decimal("20.00"))
    direct, serialized = _both(redemption, program)
    assert direct == serialized and dict(direct)["value"] == "3.00"


def test_a_redemption_without_its_code_is_left_to_the_serializer(program):
    member = member_with_points(program, 1000, customer_id="c-1")
    redemption, _ = reward_redeem(member=member, reward=RewardFactory(program=program, points_cost=100))
    redemption.voucher.delete()
    redemption = Redemption.objects.select_related("reward", "member__tier").get(pk=redemption.pk)
    assert redemption_answer(redemption, program) == RedemptionOutputSerializer(redemption).data
    assert redemption_answer(redemption, program)["code"] is None


def test_the_member_in_it_is_the_member_after_the_redemption(api, program):
    # given a member with 1,000 points
    member_with_points(program, 1000, customer_id="c-1")
    reward = RewardFactory(program=program, points_cost=100, code_expiry_days=7)

    # when redeemed through the API
    body = api.post(
        "/api/v1/members/c-1/redemptions", {"reward_id": reward.pk}, format="json", HTTP_IDEMPOTENCY_KEY="x"
    ).json()

    # then its member is what a GET of the member answers, with 900 points
    assert body["member"] == api.get("/api/v1/members/c-1").json() and body["member"]["points_balance"] == 900
    assert body["expires_at"] is not None
    assert Member.objects.get(customer_id="c-1").points_balance == 900
