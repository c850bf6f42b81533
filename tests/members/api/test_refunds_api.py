from decimal import Decimal

import pytest

from members.models import Refund
from members.services.orders import order_record
from tests.members.api.conftest import post, row_counts

URL = "/api/v1/orders/1001/refunds"


@pytest.fixture
def order(program, member):
    return order_record(
        program=program, order_id="1001", customer_id="c-1", subtotal=Decimal("100.00"), currency="USD"
    ).order


def test_a_partial_refund_reverses_points_in_proportion(api, order, assert_ledger_clean):
    # given an order of 100.00 that earned 100 points
    # when 25.00 is refunded
    response = post(api, URL, {"refund_id": "r-1", "amount": "25.00"})

    # then 25 points are taken back
    assert response.status_code == 201
    body = response.json()
    assert (body["refund_id"], body["order_id"], body["amount"], body["points_reversed"]) == (
        "r-1",
        "1001",
        "25.00",
        25,
    )
    assert body["member"]["points_balance"] == 75
    assert_ledger_clean()


def test_the_same_refund_again_answers_200_and_writes_nothing(api, order, assert_ledger_clean):
    # given a recorded refund
    first = post(api, URL, {"refund_id": "r-1", "amount": "25.00"})
    counts = row_counts()

    # when it is retried
    replay = post(api, URL, {"refund_id": "r-1", "amount": "25.00"})

    # then the first answer comes back and nothing is written
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert row_counts() == counts
    assert_ledger_clean()


def test_refunds_past_the_order_total_are_a_400(api, order):
    # given an order of 100.00, 60.00 of it refunded
    post(api, URL, {"refund_id": "r-1", "amount": "60.00"})

    # when 40.01 more is refunded
    response = post(api, URL, {"refund_id": "r-2", "amount": "40.01"})

    # then it is refused and nothing is written
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "refund_exceeds_order"
    assert Refund.objects.count() == 1


def test_a_full_refund_reverses_every_point(api, order, assert_ledger_clean):
    # given an order refunded in two parts
    post(api, URL, {"refund_id": "r-1", "amount": "33.33"})

    # when the rest is refunded
    response = post(api, URL, {"refund_id": "r-2", "amount": "66.67"})

    # then all 100 points are gone, never more
    assert response.json()["points_reversed"] == 67
    assert response.json()["member"]["points_balance"] == 0
    assert_ledger_clean()


def test_an_unknown_order_is_a_404(api, program):
    # given no order
    # when it is refunded
    response = post(api, "/api/v1/orders/nope/refunds", {"refund_id": "r-1", "amount": "1.00"})

    # then it is order_not_found
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "order_not_found"
