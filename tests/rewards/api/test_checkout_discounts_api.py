from decimal import Decimal

import pytest

from tests.factories import RewardFactory
from tests.factories.rewards import member_with_points
from tests.rewards.api.conftest import row_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def points_off(program):
    """Every 100 points take $1 off, at most 2000 points an order."""
    return RewardFactory(
        program=program, key="points-off", points_cost=100, value=Decimal("1.00"), variable=True, max_points=2000
    )


def _discount(client, body, customer_id="c-1"):
    return client.post(f"/api/v1/members/{customer_id}/checkout-discounts", body, format="json")


def test_500_points_for_5_dollars_off_this_order(api, program, points_off):
    # given
    member_with_points(program, 800, customer_id="c-1")

    # when
    response = _discount(api, {"reward_id": points_off.pk, "points": 500, "subtotal": "42.00"})

    # then
    assert response.status_code == 201
    body = response.json()
    assert (body["points_spent"], body["value"], body["member"]["points_balance"]) == (500, "5.00", 300)
    check = api.get(f"/api/v1/vouchers/{body['code']}").json()
    assert (check["valid"], check["type"], check["value"]) == (True, "fixed_discount", "5.00")


@pytest.mark.parametrize(
    ("points", "subtotal", "message_field"),
    [(550, "42.00", "A positive multiple of 100."), (4300, "42.00", "At most 2000."), (1300, "12.50", "At most 1200.")],
)
def test_points_off_the_steps_or_past_the_order_are_400_invalid_points(
    api, program, points_off, points, subtotal, message_field
):
    # given
    member_with_points(program, 5000, customer_id="c-1")
    before = row_state()

    # when
    response = _discount(api, {"reward_id": points_off.pk, "points": points, "subtotal": subtotal})

    # then
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["fields"]) == ("invalid_points", {"points": message_field})
    assert row_state() == before


def test_more_points_than_the_balance_is_409_insufficient_points(api, program, points_off):
    # given
    member_with_points(program, 300, customer_id="c-1")
    before = row_state()

    # when
    response = _discount(api, {"reward_id": points_off.pk, "points": 500, "subtotal": "42.00"})

    # then
    assert (response.status_code, response.json()["error"]["code"]) == (409, "insufficient_points")
    assert row_state() == before


@pytest.mark.parametrize(
    "body",
    [
        {"reward_id": 1, "points": "500", "subtotal": "42.00"},
        {"reward_id": 1, "points": 0, "subtotal": "42.00"},
        {"reward_id": 1, "points": 500, "subtotal": "-1"},
        {"reward_id": 1, "points": 500, "subtotal": "4.001"},
        {"reward_id": 1, "points": 500},
    ],
)
def test_bad_bodies_are_400(api, program, points_off, body):
    # given
    member_with_points(program, 5000, customer_id="c-1")

    # when
    response = _discount(api, {**body, "reward_id": points_off.pk})

    # then
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_input")


def test_a_fixed_cost_reward_is_409_reward_not_variable(api, program):
    # given
    member_with_points(program, 5000, customer_id="c-1")
    reward = RewardFactory(program=program, points_cost=500)

    # when
    response = _discount(api, {"reward_id": reward.pk, "points": 500, "subtotal": "42.00"})

    # then
    assert (response.status_code, response.json()["error"]["code"]) == (409, "reward_not_variable")


def test_a_variable_reward_is_redeemed_at_checkout_not_at_a_fixed_cost(api, program, points_off):
    # given
    member_with_points(program, 5000, customer_id="c-1")

    # when
    response = api.post("/api/v1/members/c-1/redemptions", {"reward_id": points_off.pk}, format="json")

    # then
    assert (response.status_code, response.json()["error"]["code"]) == (409, "reward_variable")


def test_the_options_tell_the_most_points_usable_on_this_order(api, program, points_off):
    # given
    member_with_points(program, 750, customer_id="c-1")
    RewardFactory(program=program, points_cost=500)  # fixed cost: not an option

    # when
    response = api.get("/api/v1/members/c-1/checkout-discount-options", {"subtotal": "42.00"})

    # then
    assert response.status_code == 200
    [option] = response.json()
    assert (option["reward"]["key"], option["points_step"], option["value_per_step"], option["max_points"]) == (
        "points-off",
        100,
        "1.00",
        700,
    )


def test_the_options_need_a_subtotal(api, program, points_off):
    # given
    member_with_points(program, 750, customer_id="c-1")

    # when
    response = api.get("/api/v1/members/c-1/checkout-discount-options")

    # then
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_input")
