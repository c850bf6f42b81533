import pytest

from members.models import Member, Order
from members.services.members import member_upsert
from rewards.models import Redemption
from tests.factories import ProgramFactory, RewardFactory
from tests.factories.rewards import member_with_points

pytestmark = pytest.mark.django_db

LOOKUP_QUERIES = 3  # API key, members (tier joined), the answer's next tier


def test_a_member_is_found_by_card_number_email_or_phone(api, program):
    # given
    member, _ = member_upsert(program=program, customer_id="c-1", email="layla@example.com", phone="+15555550100")
    card = member.referral_code
    spaced = " ".join([card[:4], card[4:]]).lower()

    # when
    answers = [
        api.get("/api/v1/pos/members", {"card_number": spaced}),
        api.get("/api/v1/pos/members", {"email": "Layla@example.com".lower()}),
        api.get("/api/v1/pos/members", {"phone": "+1 555 555 0100"}),
    ]

    # then
    for response in answers:
        assert response.status_code == 200
        assert [m["customer_id"] for m in response.json()["results"]] == ["c-1"]


def test_a_lookup_needs_exactly_one_key(api, program):
    # when
    none = api.get("/api/v1/pos/members")
    two = api.get("/api/v1/pos/members", {"email": "a@example.com", "phone": "1"})

    # then
    assert none.status_code == two.status_code == 400


def test_another_programs_member_is_not_found(api, program):
    # given
    other, _ = member_upsert(program=ProgramFactory(), customer_id="c-1", email="x@example.com")

    # when
    response = api.get("/api/v1/pos/members", {"card_number": other.referral_code})

    # then
    assert response.json()["results"] == []


def test_lookup_query_count_is_pinned(api, program, django_assert_num_queries):
    # given
    member, _ = member_upsert(program=program, customer_id="c-1", email="a@example.com")

    # when / then
    with django_assert_num_queries(LOOKUP_QUERIES):
        api.get("/api/v1/pos/members", {"card_number": member.referral_code})


def test_an_in_store_purchase_earns_points_spendable_online(api, program, assert_ledger_clean):
    # given
    member = member_with_points(program, 0, customer_id="c-1")
    body = {
        "card_number": member.referral_code,
        "store_id": "paris-01",
        "receipt_id": "R-77",
        "subtotal": "30.00",
        "currency": "USD",
    }

    # when
    first = api.post("/api/v1/pos/purchases", body, format="json")
    retry = api.post("/api/v1/pos/purchases", body, format="json")

    # then
    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json()["order_id"] == "pos:paris-01:R-77"
    assert first.json()["member"]["points_balance"] == 30
    assert Member.objects.get(pk=member.pk).points_balance == 30
    assert Order.objects.count() == 1
    assert_ledger_clean()


def test_a_reward_is_redeemed_at_the_till_from_the_online_balance(api, program):
    # given: points earned online
    api.post(
        "/api/v1/orders",
        {"order_id": "web-1", "customer_id": "c-1", "email": "a@example.com", "subtotal": "100.00", "currency": "USD"},
        format="json",
    )
    card = Member.objects.get(customer_id="c-1").referral_code
    reward = RewardFactory(program=program, points_cost=80)
    body = {"card_number": card, "store_id": "paris-01", "reward_id": reward.pk}

    # when
    first = api.post("/api/v1/pos/redemptions", body, format="json", HTTP_IDEMPOTENCY_KEY="R-78")
    retry = api.post("/api/v1/pos/redemptions", body, format="json", HTTP_IDEMPOTENCY_KEY="R-78")

    # then
    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json()["code"] == retry.json()["code"]
    assert first.json()["member"]["points_balance"] == 20
    assert Redemption.objects.count() == 1


def test_an_unknown_card_writes_nothing(api, program):
    # when
    response = api.post(
        "/api/v1/pos/purchases",
        {"card_number": "NOPE2345", "store_id": "s", "receipt_id": "r", "subtotal": "10", "currency": "USD"},
        format="json",
    )

    # then
    assert response.status_code == 404
    assert Order.objects.count() == 0


def test_pos_needs_the_server_api_key(client, program):
    # when
    response = client.get("/api/v1/pos/members", {"email": "a@example.com"})

    # then
    assert response.status_code == 401
