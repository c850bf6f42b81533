from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import RewardFactory, TierFactory
from tests.factories.rewards import REWARD_TYPE_FIELDS, reward_of_type

pytestmark = pytest.mark.django_db


def test_the_catalog_lists_every_live_reward_with_the_contract_fields(api, program):
    # given
    gold = TierFactory(program=program, key="gold", name="Gold")
    for position, reward_type in enumerate(REWARD_TYPE_FIELDS):
        reward_of_type(program, reward_type, key=reward_type.replace("_", "-"), position=position)
    RewardFactory(program=program, key="mug", position=99, points_cost=1500, stock=100, min_tier=gold)

    # when
    response = api.get("/api/v1/rewards")

    # then
    assert response.status_code == 200
    rewards = response.json()
    assert [r["type"] for r in rewards[:8]] == list(REWARD_TYPE_FIELDS)
    mug = rewards[-1]
    assert {k: mug[k] for k in ("key", "type", "value", "points_cost", "min_tier", "stock_left")} == {
        "key": "mug",
        "type": "fixed_discount",
        "value": "5.00",
        "points_cost": 1500,
        "min_tier": "gold",
        "stock_left": 100,
    }
    assert mug["min_tier_name"] == "Gold"
    assert rewards[0]["stock_left"] is None and rewards[0]["min_tier"] is None and rewards[0]["min_tier_name"] is None
    assert rewards[3]["product_id"] == "SKU-MUG"


def test_switched_off_and_out_of_window_rewards_are_not_listed(api, program):
    # given
    now = timezone.now()
    RewardFactory(program=program, key="live")
    RewardFactory(program=program, key="off", active=False)
    RewardFactory(program=program, key="soon", starts_at=now + timedelta(days=1))
    RewardFactory(program=program, key="over", ends_at=now - timedelta(days=1))

    # when
    response = api.get("/api/v1/rewards")

    # then
    assert [r["key"] for r in response.json()] == ["live"]


def test_another_programs_rewards_are_not_listed(api, other_program):
    # given
    RewardFactory(program=other_program)

    # when
    response = api.get("/api/v1/rewards")

    # then
    assert response.json() == []


def test_the_catalog_takes_two_queries_however_long(api, program, django_assert_num_queries):
    # given
    tiers = [TierFactory(program=program) for _ in range(3)]
    for n in range(20):
        RewardFactory(program=program, min_tier=tiers[n % 3])

    # when: the API key lookup and the rewards with their tiers
    with django_assert_num_queries(2):
        response = api.get("/api/v1/rewards")

    # then
    assert len(response.json()) == 20


def test_the_catalog_needs_a_key(client):
    # when
    response = client.get("/api/v1/rewards")

    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
