import pytest

from members.models import Member
from rewards.models import Redemption
from tests.factories import RewardFactory, TierFactory
from tests.factories.rewards import member_with_points
from tests.storefront.conftest import widget_client

pytestmark = pytest.mark.django_db


def test_a_shopper_redeems_and_gets_a_code(program, assert_ledger_clean):
    # given
    member_with_points(program, 1000, customer_id="c-1")
    reward = RewardFactory(program=program, points_cost=400)

    # when
    response = widget_client(program, "c-1").post(
        "/api/widget/v1/me/redemptions", {"reward_id": reward.pk}, format="json"
    )

    # then
    assert response.status_code == 201
    assert response.json()["code"]
    assert response.json()["member"]["points_balance"] == 600
    assert_ledger_clean()


def test_a_double_click_with_one_idempotency_key_spends_once(program):
    # given
    member_with_points(program, 1000, customer_id="c-1")
    reward = RewardFactory(program=program, points_cost=400)
    client = widget_client(program, "c-1", HTTP_IDEMPOTENCY_KEY="click-1")

    # when
    first = client.post("/api/widget/v1/me/redemptions", {"reward_id": reward.pk}, format="json")
    second = client.post("/api/widget/v1/me/redemptions", {"reward_id": reward.pk}, format="json")

    # then
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["code"] == second.json()["code"]
    assert Member.objects.get(customer_id="c-1").points_balance == 600


@pytest.mark.parametrize("case", ["insufficient_points", "tier_required"])
def test_refusals_are_409_and_write_nothing(program, case):
    # given
    member_with_points(program, 100, customer_id="c-1")
    gold = TierFactory(program=program, position=9, threshold=100000)
    reward = RewardFactory(program=program, points_cost=50 if case == "tier_required" else 500, min_tier=None)
    if case == "tier_required":
        reward.min_tier = gold
        reward.save()

    # when
    response = widget_client(program, "c-1").post(
        "/api/widget/v1/me/redemptions", {"reward_id": reward.pk}, format="json"
    )

    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == case
    assert Redemption.objects.count() == 0


def test_another_programs_reward_is_404(program):
    # given
    member_with_points(program, 1000, customer_id="c-1")
    foreign = RewardFactory(points_cost=1)

    # when
    response = widget_client(program, "c-1").post(
        "/api/widget/v1/me/redemptions", {"reward_id": foreign.pk}, format="json"
    )

    # then
    assert response.status_code == 404
    assert Redemption.objects.count() == 0


@pytest.mark.parametrize("body", [{}, {"reward_id": None}, {"reward_id": ["x"]}, "not json"])
def test_bad_bodies_are_400(program, body):
    # given
    member_with_points(program, 1000, customer_id="c-1")
    client = widget_client(program, "c-1")

    # when
    if isinstance(body, str):
        response = client.post("/api/widget/v1/me/redemptions", body, content_type="application/json")
    else:
        response = client.post("/api/widget/v1/me/redemptions", body, format="json")

    # then
    assert response.status_code == 400
