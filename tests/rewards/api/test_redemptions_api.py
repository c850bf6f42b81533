from datetime import timedelta

import pytest
from django.utils import timezone

from rewards.codes import VOUCHER_CODE_RE
from tests.factories import RewardFactory, TierFactory
from tests.factories.rewards import REWARD_TYPE_FIELDS, member_with_points, reward_of_type
from tests.rewards.api.conftest import row_state

pytestmark = pytest.mark.django_db

# Member, reward; then in one transaction: member lock, reward, limit count, stock, redemption, ledger row,
# cached balance, voucher (in its own savepoint); then the answer's next tier. None of it grows with history.
# The API key is read once and then served from the process cache (loyalty/api/authentication.py).
REDEMPTION_QUERIES = 15


def _redeem(client, customer_id: str, body, **headers):
    return client.post(f"/api/v1/members/{customer_id}/redemptions", body, format="json", **headers)


@pytest.mark.parametrize("reward_type", list(REWARD_TYPE_FIELDS))
def test_redeeming_answers_the_redemption_with_its_code_and_the_member(api, program, reward_type):
    # given
    member_with_points(program, 1000, customer_id="c-1")
    reward = reward_of_type(program, reward_type, points_cost=400)

    # when
    response = _redeem(api, "c-1", {"reward_id": reward.pk})

    # then
    assert response.status_code == 201
    body = response.json()
    assert VOUCHER_CODE_RE.match(body["code"])
    assert body["points_spent"] == 400
    assert body["reward"] == {"id": reward.pk, "key": reward.key, "name": reward.name, "type": reward_type}
    assert body["member"]["customer_id"] == "c-1" and body["member"]["points_balance"] == 600
    physical = reward_type in ("physical", "experience")
    assert body["fulfilment_status"] == ("pending" if physical else "not_required")


def test_a_reward_can_be_named_by_its_key(api, program):
    # given
    member_with_points(program, 500, customer_id="c-1")
    RewardFactory(program=program, key="five-off", points_cost=500)

    # when
    response = _redeem(api, "c-1", {"reward_id": "five-off"})

    # then
    assert response.status_code == 201


def _refusal(program, case):
    now = timezone.now()
    gold = TierFactory(program=program, key="gold", position=5, threshold=1000)
    member_fields = {"insufficient_points": 499}
    reward_fields = {
        "insufficient_points": {},
        "out_of_stock": {"stock": 0},
        "tier_required": {"min_tier": gold},
        "reward_inactive": {"active": False},
        "reward_expired": {"ends_at": now - timedelta(minutes=1)},
    }[case]
    member_with_points(program, member_fields.get(case, 5000), customer_id="c-1")
    return RewardFactory(program=program, points_cost=500, **reward_fields)


@pytest.mark.parametrize(
    "case", ["insufficient_points", "out_of_stock", "tier_required", "reward_inactive", "reward_expired"]
)
def test_a_refusal_is_a_409_in_the_error_shape_and_writes_nothing(api, program, case):
    # given
    reward = _refusal(program, case)
    before = row_state()

    # when
    response = _redeem(api, "c-1", {"reward_id": reward.pk})

    # then
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == case and error["message"]
    assert row_state() == before


def test_the_limit_per_member_is_a_409_limit_reached(api, program):
    # given
    member_with_points(program, 5000, customer_id="c-1")
    reward = RewardFactory(program=program, points_cost=500, limit_per_member=1)
    assert _redeem(api, "c-1", {"reward_id": reward.pk}).status_code == 201
    before = row_state()

    # when
    response = _redeem(api, "c-1", {"reward_id": reward.pk})

    # then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "limit_reached"
    assert row_state() == before


def test_a_retry_with_the_idempotency_key_answers_200_with_the_first_code(api, program):
    # given
    member_with_points(program, 5000, customer_id="c-1")
    reward = RewardFactory(program=program, points_cost=500)
    first = _redeem(api, "c-1", {"reward_id": reward.pk}, HTTP_IDEMPOTENCY_KEY="k-1")

    # when
    again = _redeem(api, "c-1", {"reward_id": reward.pk}, HTTP_IDEMPOTENCY_KEY="k-1")

    # then
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["code"] == first.json()["code"]
    assert again.json()["member"]["points_balance"] == 4500


@pytest.mark.parametrize(
    "body", [{}, {"reward_id": None}, {"reward_id": True}, {"reward_id": ""}, {"reward_id": "x" * 300}, [1]]
)
def test_bad_bodies_are_400_and_write_nothing(api, program, body):
    # given
    member_with_points(program, 5000, customer_id="c-1")
    before = row_state()

    # when
    response = _redeem(api, "c-1", body)

    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert row_state() == before


def test_malformed_json_is_400(api, program):
    # given
    member_with_points(program, 5000, customer_id="c-1")

    # when
    response = api.post("/api/v1/members/c-1/redemptions", "{nope", content_type="application/json")

    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


@pytest.mark.parametrize("reward_id", [999999, "no-such-reward", 10**30])
def test_an_unknown_reward_is_404(api, program, reward_id):
    # given
    member_with_points(program, 5000, customer_id="c-1")

    # when
    response = _redeem(api, "c-1", {"reward_id": reward_id})

    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "reward_not_found"


def test_another_programs_reward_and_member_are_404(api, program, other_program):
    # given
    member_with_points(program, 5000, customer_id="c-1")
    member_with_points(other_program, 5000, customer_id="c-2")
    theirs = RewardFactory(program=other_program, points_cost=100)
    ours = RewardFactory(program=program, points_cost=100)
    before = row_state()

    # when
    their_reward = _redeem(api, "c-1", {"reward_id": theirs.pk})
    their_member = _redeem(api, "c-2", {"reward_id": ours.pk})

    # then
    assert (their_reward.status_code, their_reward.json()["error"]["code"]) == (404, "reward_not_found")
    assert (their_member.status_code, their_member.json()["error"]["code"]) == (404, "member_not_found")
    assert row_state() == before


def test_a_redemption_costs_the_same_queries_after_many(api, program, django_assert_num_queries):
    # given
    member_with_points(program, 100_000, customer_id="c-1")
    reward = RewardFactory(program=program, points_cost=100, stock=1000, limit_per_member=100)
    _redeem(api, "c-1", {"reward_id": reward.pk})
    with django_assert_num_queries(REDEMPTION_QUERIES):
        _redeem(api, "c-1", {"reward_id": reward.pk})
    for _ in range(10):
        _redeem(api, "c-1", {"reward_id": reward.pk})

    # when
    with django_assert_num_queries(REDEMPTION_QUERIES):
        response = _redeem(api, "c-1", {"reward_id": reward.pk})

    # then
    assert response.status_code == 201
