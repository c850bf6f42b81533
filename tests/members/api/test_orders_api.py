from members.models import Member, Order, Transaction
from tests.members.api.conftest import post, row_counts

ORDER = {"order_id": "1001", "customer_id": "c-1", "subtotal": "49.99", "currency": "USD"}


def test_an_order_awards_its_points(api, member, assert_ledger_clean):
    # given a member of a program earning 1 point per dollar
    # when an order of 49.99 is recorded
    response = post(api, "/api/v1/orders", {**ORDER, "items": [{"sku": "TEA-01", "quantity": 2}]})

    # then 49 points are awarded and the member is answered
    assert response.status_code == 201
    body = response.json()
    assert (body["order_id"], body["points_awarded"], body["points_status"]) == ("1001", 49, "active")
    assert body["member"]["customer_id"] == "c-1"
    assert body["member"]["points_balance"] == 49
    assert Order.objects.get().items == [{"sku": "TEA-01", "quantity": 2}]
    assert_ledger_clean()


def test_the_same_order_again_answers_the_first_answer_and_writes_nothing(api, member, assert_ledger_clean):
    # given a recorded order
    first = post(api, "/api/v1/orders", ORDER)
    counts = row_counts()

    # when it is sent again (even with another subtotal)
    replay = post(api, "/api/v1/orders", {**ORDER, "subtotal": "500.00"})

    # then the first answer comes back with 200 and nothing is written
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert row_counts() == counts
    assert_ledger_clean()


def test_an_unknown_customer_with_an_email_becomes_a_member(api, program):
    # given no member
    # when an order arrives with an email
    response = post(api, "/api/v1/orders", {**ORDER, "customer_id": "new", "email": "new@example.com"})

    # then the member is created and earns the points
    assert response.status_code == 201
    assert response.json()["member"]["email"] == "new@example.com"
    assert Member.objects.get(customer_id="new").points_balance == 49


def test_an_unknown_customer_without_an_email_is_a_404(api, program):
    # given no member
    # when an order arrives without an email
    response = post(api, "/api/v1/orders", {**ORDER, "customer_id": "ghost"})

    # then it is member_not_found and nothing is written
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "member_not_found"
    assert Order.objects.count() == 0


def test_another_currency_is_a_400(api, member):
    # given a program counting in USD
    # when an order in EUR arrives
    response = post(api, "/api/v1/orders", {**ORDER, "currency": "EUR"})

    # then it is refused with currency_mismatch and nothing is written
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "currency_mismatch"
    assert Order.objects.count() == 0
    assert Transaction.objects.count() == 0


def test_pending_points_are_reported_pending(api, program, member):
    # given a program holding order points for 14 days
    program.pending_days = 14
    program.save()

    # when an order is recorded now
    response = post(api, "/api/v1/orders", ORDER)

    # then its points are pending, not spendable
    assert response.json()["points_status"] == "pending"
    assert response.json()["member"]["pending_points"] == 49
    assert response.json()["member"]["points_balance"] == 0


def test_an_order_worth_more_points_than_the_ledger_holds_is_a_400(api, member):
    # given a program earning 1 point per dollar
    # when an order of ten billion dollars arrives
    response = post(api, "/api/v1/orders", {**ORDER, "subtotal": "9999999999.99"})

    # then it is refused clearly, not a 500, and nothing is written
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "points_limit_exceeded"
    assert Order.objects.count() == 0
