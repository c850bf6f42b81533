"""Another program's key never reaches this program's members, orders or ledger: always a 404."""

from decimal import Decimal

import pytest

from members.services.orders import order_record
from tests.members.api.conftest import post, row_counts


@pytest.fixture
def shop(program, member):
    order_record(program=program, order_id="1001", customer_id="c-1", subtotal=Decimal("100.00"), currency="USD")


@pytest.mark.parametrize(
    ("method", "url", "body", "code"),
    [
        ("get", "/api/v1/members/c-1", None, "member_not_found"),
        ("get", "/api/v1/members/c-1/transactions", None, "member_not_found"),
        ("post", "/api/v1/members/c-1/adjustments", {"points": -10, "reason": "steal"}, "member_not_found"),
        ("post", "/api/v1/orders/1001/refunds", {"refund_id": "r-1", "amount": "100.00"}, "order_not_found"),
        (
            "post",
            "/api/v1/events",
            {"event_id": "e-1", "customer_id": "c-1", "type": "review_posted"},
            "member_not_found",
        ),
        (
            "post",
            "/api/v1/orders",
            {"order_id": "o-2", "customer_id": "c-1", "subtotal": "10.00", "currency": "USD"},
            "member_not_found",
        ),
    ],
)
def test_another_programs_key_gets_a_404(other_api, shop, method, url, body, code):
    # given a member, an order and a ledger in one program
    before = row_counts()

    # when another program's key asks for them
    response = post(other_api, url, body) if method == "post" else other_api.get(url)

    # then it is a 404 and nothing was written
    assert response.status_code == 404
    assert response.json()["error"]["code"] == code
    assert row_counts() == before


def test_the_same_ids_in_two_programs_are_two_members_and_two_orders(api, other_api, shop):
    # given order 1001 of customer c-1 in the first program
    # when the second program records its own c-1 and order 1001
    response = post(
        other_api,
        "/api/v1/orders",
        {"order_id": "1001", "customer_id": "c-1", "email": "other@example.com", "subtotal": "5.00", "currency": "USD"},
    )

    # then it is a new order of a new member, and the first program's member is untouched
    assert response.status_code == 201
    assert response.json()["member"]["points_balance"] == 5
    assert api.get("/api/v1/members/c-1").json()["points_balance"] == 100
