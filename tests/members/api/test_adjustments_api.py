import pytest

from members.models import Transaction
from tests.members.api.conftest import post

URL = "/api/v1/members/c-1/adjustments"


def test_a_credit_answers_the_transaction(api, member, assert_ledger_clean):
    # given a member with no points
    # when 200 points are credited
    response = post(api, URL, {"points": 200, "reason": "Apology for a late delivery"})

    # then the answer is the new transaction and the balance moved
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["points"], body["balance_after"]) == ("adjust", 200, 200)
    assert body["description"] == "Apology for a late delivery"
    member.refresh_from_db()
    assert member.points_balance == 200
    assert_ledger_clean()


def test_a_replay_with_the_same_key_answers_200_and_writes_nothing(api, member, assert_ledger_clean):
    # given a debit made with an idempotency key
    post(api, URL, {"points": 100, "reason": "credit"})
    first = post(api, URL, {"points": -100, "reason": "correction"}, HTTP_IDEMPOTENCY_KEY="adj-1")

    # when the same request is retried (the balance could no longer pay for it)
    replay = post(api, URL, {"points": -100, "reason": "correction"}, HTTP_IDEMPOTENCY_KEY="adj-1")

    # then it answers the first transaction with 200 and nothing new is written
    assert first.status_code == 201
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert Transaction.objects.count() == 2
    member.refresh_from_db()
    assert member.points_balance == 0
    assert_ledger_clean()


def test_a_key_reused_with_another_body_is_a_409(api, member):
    # given an adjustment made with a key
    post(api, URL, {"points": 50, "reason": "gift"}, HTTP_IDEMPOTENCY_KEY="adj-1")

    # when the key is sent again with other points
    response = post(api, URL, {"points": 60, "reason": "gift"}, HTTP_IDEMPOTENCY_KEY="adj-1")

    # then it is an idempotency conflict and nothing is written
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"
    assert Transaction.objects.count() == 1


def test_without_a_key_two_requests_are_two_adjustments(api, member):
    # given a member
    # when the same body is sent twice without an Idempotency-Key
    post(api, URL, {"points": 10, "reason": "gift"})
    post(api, URL, {"points": 10, "reason": "gift"})

    # then both are applied
    member.refresh_from_db()
    assert member.points_balance == 20


def test_a_debit_past_the_balance_is_a_409(api, member):
    # given a member with 10 points
    post(api, URL, {"points": 10, "reason": "gift"})

    # when 11 are debited
    response = post(api, URL, {"points": -11, "reason": "too much"})

    # then it is refused with insufficient_points and the balance is unchanged
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "insufficient_points"
    member.refresh_from_db()
    assert member.points_balance == 10


@pytest.mark.parametrize("key", ["k" * 256, "a\x00b", ""])
def test_an_unusable_idempotency_key_is_a_400(api, member, key):
    # given a member
    # when the key is too long, holds a NUL or is empty
    response = post(api, URL, {"points": 10, "reason": "gift"}, HTTP_IDEMPOTENCY_KEY=key)

    # then it is refused before anything is written
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert Transaction.objects.count() == 0


def test_credits_past_what_the_ledger_holds_are_a_400(api, member, assert_ledger_clean):
    # given a member two billion points rich
    post(api, URL, {"points": 1_000_000_000, "reason": "gift"})
    post(api, URL, {"points": 1_000_000_000, "reason": "gift"})

    # when another billion is credited (past the database's 32-bit columns)
    response = post(api, URL, {"points": 1_000_000_000, "reason": "gift"})

    # then it is refused clearly, not a 500, and nothing is written
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "points_limit_exceeded"
    assert Transaction.objects.count() == 2
    assert_ledger_clean()
