from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from members.models import Member, Transaction
from rewards.models import Voucher
from rewards.services.redemptions import reward_redeem
from rewards.services.vouchers import voucher_consume
from tests.factories import RewardFactory
from tests.factories.rewards import member_with_points
from tests.rewards.api.conftest import row_state

pytestmark = pytest.mark.django_db


def _code(program, customer_id="c-1", **reward_fields) -> str:
    member = Member.objects.filter(program=program, customer_id=customer_id).first() or member_with_points(
        program, 1000, customer_id=customer_id
    )
    reward = RewardFactory(program=program, points_cost=400, **reward_fields)
    redemption, _ = reward_redeem(member=member, reward=reward)
    return redemption.voucher.code


def test_a_valid_code_tells_its_value_conditions_expiry_and_owner(api, program):
    # given
    code = _code(program, value=Decimal("5.00"), min_subtotal=Decimal("20.00"), code_expiry_days=30)

    # when
    response = api.get(f"/api/v1/vouchers/{code.lower()}")

    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["valid"], body["reason"], body["code"], body["value"]) == (True, None, code, "5.00")
    assert body["conditions"] == {"min_subtotal": "20.00", "product_id": ""}
    assert body["expires_at"] is not None and body["status"] == "active" and body["used"] is False
    assert body["member"]["customer_id"] == "c-1" and body["member"]["points_balance"] == 600


def test_a_subtotal_below_the_minimum_makes_the_code_invalid_for_that_order(api, program):
    # given
    code = _code(program, min_subtotal=Decimal("20.00"))

    # when
    response = api.get(f"/api/v1/vouchers/{code}?subtotal=19.99")

    # then
    assert (response.json()["valid"], response.json()["reason"]) == (False, "min_subtotal_not_met")


@pytest.mark.parametrize("subtotal", ["abc", "-1", "1.001", "NaN"])
def test_a_bad_subtotal_is_400(api, program, subtotal):
    # given
    code = _code(program)

    # when
    response = api.get(f"/api/v1/vouchers/{code}", {"subtotal": subtotal})

    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_an_expired_code_is_invalid(api, program):
    # given
    code = _code(program, code_expiry_days=1)
    Voucher.objects.filter(code=code).update(expires_at=timezone.now() - timedelta(seconds=1))

    # when
    response = api.get(f"/api/v1/vouchers/{code}")
    consume = api.post(f"/api/v1/vouchers/{code}/consume", {}, format="json")

    # then
    assert (response.json()["valid"], response.json()["reason"], response.json()["status"]) == (
        False,
        "voucher_expired",
        "expired",
    )
    assert (consume.status_code, consume.json()["error"]["code"]) == (409, "voucher_expired")


def test_a_code_is_consumed_once_then_409_already_used(api, program):
    # given
    code = _code(program)

    # when
    first = api.post(f"/api/v1/vouchers/{code}/consume", {"order_id": "1001", "subtotal": "42.00"}, format="json")
    second = api.post(f"/api/v1/vouchers/{code}/consume", {"order_id": "1002"}, format="json")

    # then
    assert first.status_code == 200
    assert (first.json()["status"], first.json()["used_order_id"], first.json()["valid"]) == ("used", "1001", False)
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "already_used"
    assert api.get(f"/api/v1/vouchers/{code}").json()["reason"] == "already_used"


def test_consuming_below_the_minimum_subtotal_is_refused_and_leaves_the_code_usable(api, program):
    # given
    code = _code(program, min_subtotal=Decimal("50.00"))

    # when
    response = api.post(f"/api/v1/vouchers/{code}/consume", {"subtotal": "49.99"}, format="json")

    # then
    assert (response.status_code, response.json()["error"]["code"]) == (409, "min_subtotal_not_met")
    assert Voucher.objects.get(code=code).status == "active"


def test_cancelling_gives_the_points_back_and_the_code_is_dead(api, program, assert_ledger_clean):
    # given
    code = _code(program)

    # when
    response = api.post(f"/api/v1/vouchers/{code}/cancel", {"reason": "Ordered by mistake"}, format="json")
    again = api.post(f"/api/v1/vouchers/{code}/cancel", {}, format="json")
    consume = api.post(f"/api/v1/vouchers/{code}/consume", {}, format="json")

    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["valid"], body["member"]["points_balance"]) == ("cancelled", False, 1000)
    assert Transaction.objects.filter(kind="redeem").values_list("points", flat=True).order_by("id")[::1] == [-400, 400]
    assert (again.status_code, again.json()["error"]["code"]) == (409, "voucher_cancelled")
    assert (consume.status_code, consume.json()["error"]["code"]) == (409, "voucher_cancelled")
    assert_ledger_clean()


def test_a_used_code_cannot_be_cancelled(api, program):
    # given
    code = _code(program)
    voucher_consume(voucher=Voucher.objects.get(code=code))
    before = row_state()

    # when
    response = api.post(f"/api/v1/vouchers/{code}/cancel", {}, format="json")

    # then
    assert (response.status_code, response.json()["error"]["code"]) == (409, "already_used")
    assert row_state() == before


@pytest.mark.parametrize("code", ["NOSUCHCODE23", "short", "O0O0O0O0O0O0", "x" * 300, "%00"])
def test_an_unknown_code_is_404(api, program, code):
    # when
    responses = [
        api.get(f"/api/v1/vouchers/{code}"),
        api.post(f"/api/v1/vouchers/{code}/consume", {}, format="json"),
        api.post(f"/api/v1/vouchers/{code}/cancel", {}, format="json"),
    ]

    # then
    assert {(r.status_code, r.json()["error"]["code"]) for r in responses} == {(404, "voucher_not_found")}


def test_another_programs_code_is_404_and_stays_usable(api, program, other_api):
    # given
    code = _code(program)

    # when
    responses = [
        other_api.get(f"/api/v1/vouchers/{code}"),
        other_api.post(f"/api/v1/vouchers/{code}/consume", {}, format="json"),
        other_api.post(f"/api/v1/vouchers/{code}/cancel", {}, format="json"),
    ]

    # then
    assert [r.status_code for r in responses] == [404, 404, 404]
    assert Voucher.objects.get(code=code).status == "active"


def test_the_code_lookup_is_one_indexed_query(api, program, django_assert_num_queries):
    # given
    code = _code(program)
    for n in range(5):
        _code(program, customer_id=f"c-{n + 2}")

    # when: the API key, the voucher with its member, tier and reward (by the unique index on code),
    # and the member's next tier
    with django_assert_num_queries(3) as captured:
        response = api.get(f"/api/v1/vouchers/{code}")

    # then
    assert response.status_code == 200
    lookup = captured.captured_queries[1]["sql"]
    assert '"rewards_voucher"."code" = ' in lookup


def test_a_code_that_cannot_exist_costs_no_voucher_query(api, django_assert_num_queries):
    # when: only the API key is looked up
    with django_assert_num_queries(1):
        response = api.get("/api/v1/vouchers/not-a-code")

    # then
    assert response.status_code == 404


def test_the_members_codes_are_listed_newest_first_with_their_status(api, program):
    # given
    older = _code(program, value=Decimal("5.00"))
    newer = _code(program, value=Decimal("7.50"))
    voucher_consume(voucher=Voucher.objects.get(code=older))

    # when
    response = api.get("/api/v1/members/c-1/vouchers")

    # then
    assert response.status_code == 200
    codes = response.json()
    assert [(c["code"], c["value"], c["used"], c["status"]) for c in codes] == [
        (newer, "7.50", False, "active"),
        (older, "5.00", True, "used"),
    ]
    assert set(codes[0]) >= {"code", "reward", "value", "used", "expires_at"}


def test_the_members_codes_take_three_queries_however_many(api, program, django_assert_num_queries):
    # given
    for _ in range(2):
        _code(program)

    # when: the API key, the member, the codes with their rewards
    with django_assert_num_queries(3):
        response = api.get("/api/v1/members/c-1/vouchers")

    # then
    assert len(response.json()) == 2


def test_another_programs_member_has_no_codes_here(api, other_program):
    # given
    _code(other_program, customer_id="c-9")

    # when
    response = api.get("/api/v1/members/c-9/vouchers")

    # then
    assert (response.status_code, response.json()["error"]["code"]) == (404, "member_not_found")
