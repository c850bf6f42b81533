"""The order endpoint builds its answer without the serializer (`member_answer`, `order_answer`): it must be the
very body the serializer gives, in every shape a member can take."""

from datetime import date
from decimal import Decimal

import pytest

from loyalty.choices import ExpiryPolicy, RuleType, TierMetric
from members.api.serializers import MemberOutputSerializer, member_answer
from members.models import Member
from members.services.members import member_upsert
from members.services.tiers import member_tier_assign
from tests.factories import EarningRuleFactory, TierFactory
from tests.members.api.conftest import post

ORDER = {"order_id": "a-1", "customer_id": "c-1", "subtotal": "60.00", "currency": "USD"}


def _tiers(program, *, invite_only: bool = False):
    TierFactory(program=program, key="bronze", name="Bronze", threshold=Decimal("0"), position=1)
    TierFactory(program=program, key="gold", name="Gold", threshold=Decimal("100"), position=2)
    if invite_only:
        TierFactory(program=program, key="vip", name="VIP", threshold=None, invite_only=True, position=3)


@pytest.mark.parametrize(
    "setup",
    ["bare", "tiers", "spend_metric", "fixed_expiry", "inactivity_expiry", "birthday", "manual_tier"],
)
def test_the_member_answer_is_the_serializers(program, setup):
    # given a member in one of the shapes the answer has
    if setup in ("tiers", "manual_tier"):
        _tiers(program, invite_only=True)
    if setup == "spend_metric":
        program.tier_metric = TierMetric.SPEND
        program.save()
        _tiers(program)
    if setup in ("fixed_expiry", "inactivity_expiry"):
        program.expiry_policy = ExpiryPolicy.FIXED if setup == "fixed_expiry" else ExpiryPolicy.INACTIVITY
        program.expiry_days = 365
        program.save()
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=40)
    member, _created = member_upsert(
        program=program,
        customer_id="c-1",
        email="c1@example.com",
        first_name="Layla",
        birthday=date(1990, 4, 12) if setup == "birthday" else None,
    )
    if setup == "manual_tier":
        member = member_tier_assign(member=member, tier_key="vip")
    member = Member.objects.select_related("tier").get(pk=member.pk)

    # when it is rendered both ways
    direct = member_answer(member, program)
    serialized = MemberOutputSerializer(member).data

    # then the bodies are the same, key for key and in the same order
    assert list(direct.items()) == list(serialized.items())


def test_the_order_answer_shows_the_member_as_a_get_does(api, program, assert_ledger_clean):
    # given a program whose order upgrades the buyer to the next tier
    _tiers(program)
    TierFactory(program=program, key="black", name="Black", threshold=Decimal("1000"), position=3)
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")

    # when an order is recorded (its answer's next tier is computed inside the order's transaction)
    answer = post(api, "/api/v1/orders", {**ORDER, "subtotal": "150.00"})

    # then the member in it is the member a GET returns, already in the new tier
    assert answer.status_code == 201
    body = answer.json()
    assert body["member"] == api.get("/api/v1/members/c-1").json()
    assert body["member"]["tier"] == {"key": "gold", "name": "Gold"}
    assert body["member"]["next_tier"] == {"key": "black", "name": "Black", "remaining": 850}
    assert list(body) == ["order_id", "points_awarded", "points_status", "member"]
    assert_ledger_clean()


def test_a_replayed_order_answers_the_first_body(api, program):
    # given a recorded order
    _tiers(program)
    first = post(api, "/api/v1/orders", {**ORDER, "email": "c1@example.com"})

    # when it is sent again
    again = post(api, "/api/v1/orders", {**ORDER, "email": "c1@example.com"})

    # then the answer is the same body with a 200
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()


def test_a_replay_with_another_currency_or_without_a_known_customer_still_answers_the_first(api, program):
    # given a recorded order
    post(api, "/api/v1/orders", {**ORDER, "email": "c1@example.com"})

    # when it is sent again with a wrong currency, or for an unknown customer without an email
    wrong_currency = post(api, "/api/v1/orders", {**ORDER, "currency": "EUR"})
    unknown_customer = post(api, "/api/v1/orders", {**ORDER, "customer_id": "nobody"})

    # then both answer the first order (the order id decides), as before any check
    assert wrong_currency.status_code == 200
    assert unknown_customer.status_code == 200
    assert unknown_customer.json()["member"]["customer_id"] == "c-1"
