from datetime import date
from decimal import Decimal

import pytest

from members.models import Member, Order, Refund, Transaction
from storefront.models import ReceiptStatus, ShopifySettings, WebhookReceipt
from tests.factories import EarningRuleFactory
from tests.factories.shopify import customer_payload, order_payload, refund_payload

pytestmark = pytest.mark.django_db


def _rows() -> dict:
    return {
        "members": Member.objects.count(),
        "orders": Order.objects.count(),
        "refunds": Refund.objects.count(),
        "transactions": Transaction.objects.count(),
        "receipts": WebhookReceipt.objects.count(),
    }


def test_a_paid_order_awards_its_points_to_the_customer(program, deliver, assert_ledger_clean):
    # given
    payload = order_payload(order_id=1001, customer_id=42, subtotal="49.99")

    # when
    response = deliver(program, "orders/paid", payload)

    # then
    assert response.status_code == 200
    assert response.json()["status"] == "queued"
    order = Order.objects.get(program=program, order_id="1001")
    assert order.points_awarded == 49
    assert order.member.customer_id == "42"
    assert order.member.email == "john@example.com"
    assert order.items[0]["sku"] == "IPOD2008PINK"
    assert WebhookReceipt.objects.get().status == ReceiptStatus.PROCESSED
    assert_ledger_clean()


def test_a_new_customer_joins_and_gets_the_signup_points(program, deliver):
    # given
    EarningRuleFactory(program=program, type="signup", points=100)
    payload = customer_payload(customer_id=706405506930370084, email="bob@example.com", phone="+15555550100")

    # when
    deliver(program, "customers/create", payload)

    # then
    member = Member.objects.get(program=program, customer_id="706405506930370084")
    assert (member.email, member.first_name, member.last_name, member.phone) == (
        "bob@example.com",
        "Bob",
        "Biller",
        "+15555550100",
    )
    assert member.points_balance == 100


def test_a_customer_update_changes_email_and_birthday_once(program, deliver):
    # given
    EarningRuleFactory(program=program, type="signup", points=100)
    deliver(program, "customers/create", customer_payload(customer_id=7))
    update = customer_payload(
        customer_id=7,
        email="new@example.com",
        metafields=[{"namespace": "facts", "key": "birth_date", "value": "1990-04-12", "type": "date"}],
    )

    # when
    deliver(program, "customers/update", update)

    # then
    member = Member.objects.get(program=program, customer_id="7")
    assert member.email == "new@example.com"
    assert member.birthday == date(1990, 4, 12)
    assert member.points_balance == 100  # the sign-up rule fired once


def test_a_refund_reverses_points_in_proportion(program, deliver, assert_ledger_clean):
    # given
    deliver(program, "orders/paid", order_payload(order_id=1, customer_id=5, subtotal="100.00"))

    # when
    deliver(program, "refunds/create", refund_payload(refund_id=9, order_id=1, subtotal="25.00"))

    # then
    refund = Refund.objects.get(program=program, refund_id="9")
    assert refund.amount == Decimal("25.00") and refund.points_reversed == 25
    assert Member.objects.get(customer_id="5").points_balance == 75
    assert_ledger_clean()


def test_a_refund_without_line_items_uses_its_refund_transactions(program, deliver):
    # given
    deliver(program, "orders/paid", order_payload(order_id=1, customer_id=5, subtotal="100.00"))

    # when
    deliver(program, "refunds/create", refund_payload(refund_id=9, order_id=1, subtotal=None, amount="40.00"))

    # then
    assert Member.objects.get(customer_id="5").points_balance == 60


def test_a_cancelled_order_takes_back_what_is_left_after_refunds(program, deliver, assert_ledger_clean):
    # given
    deliver(program, "orders/paid", order_payload(order_id=1, customer_id=5, subtotal="100.00"))
    deliver(program, "refunds/create", refund_payload(refund_id=9, order_id=1, subtotal="30.00"))

    # when
    deliver(program, "orders/cancelled", order_payload(order_id=1, customer_id=5, subtotal="100.00"))
    # and Shopify's refund of the rest arrives after the cancellation
    deliver(program, "refunds/create", refund_payload(refund_id=10, order_id=1, subtotal="70.00"))

    # then
    assert Member.objects.get(customer_id="5").points_balance == 0
    assert Order.objects.get(order_id="1").refunded_amount == Decimal("100.00")
    assert WebhookReceipt.objects.order_by("-id").first().status == ReceiptStatus.IGNORED
    assert_ledger_clean()


def test_a_replayed_webhook_writes_nothing_new(program, deliver):
    # given
    payload = order_payload(order_id=1, customer_id=5)
    deliver(program, "orders/paid", payload, webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
    before = _rows()

    # when
    response = deliver(program, "orders/paid", payload, webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")

    # then
    assert response.status_code == 200
    assert response.json()["status"] == "duplicate"
    assert _rows() == before


def test_the_same_order_under_a_new_webhook_id_awards_once(program, deliver):
    # given
    deliver(program, "orders/paid", order_payload(order_id=1, customer_id=5, subtotal="20.00"))

    # when
    deliver(program, "orders/paid", order_payload(order_id=1, customer_id=5, subtotal="20.00"))

    # then
    assert Member.objects.get(customer_id="5").points_balance == 20


@pytest.mark.parametrize("signature", ["", "bm90IGl0", "x" * 44, "é"])
def test_a_bad_signature_is_401_and_writes_nothing(program, deliver, signature):
    # given
    before = _rows()

    # when
    response = deliver(program, "orders/paid", order_payload(), signature=signature)

    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    assert _rows() == before


def test_a_body_signed_with_another_programs_secret_is_401(program, deliver):
    # given
    from tests.factories import ProgramFactory
    from tests.factories.shopify import raw, shopify_signature

    payload = order_payload()
    forged = shopify_signature(ProgramFactory().webhook_secret, raw(payload))

    # when
    response = deliver(program, "orders/paid", payload, signature=forged)

    # then
    assert response.status_code == 401
    assert Order.objects.count() == 0


def test_test_orders_are_ignored_unless_the_program_accepts_them(program, deliver):
    # given
    deliver(program, "orders/paid", order_payload(order_id=1, test=True))
    ignored = WebhookReceipt.objects.get()
    ShopifySettings.objects.create(program=program, accept_test_orders=True)

    # when
    deliver(program, "orders/paid", order_payload(order_id=2, test=True))

    # then
    assert ignored.status == ReceiptStatus.IGNORED and ignored.detail == "test order"
    assert list(Order.objects.values_list("order_id", flat=True)) == ["2"]


def test_a_guest_checkout_is_ignored(program, deliver):
    # when
    deliver(program, "orders/paid", order_payload(customer_id=None))

    # then
    assert WebhookReceipt.objects.get().status == ReceiptStatus.IGNORED
    assert Order.objects.count() == 0


def test_another_currency_fails_the_receipt_with_its_reason(program, deliver):
    # when
    response = deliver(program, "orders/paid", order_payload(currency="EUR"))

    # then
    assert response.status_code == 200  # Shopify must not retry a delivery that can never succeed
    receipt = WebhookReceipt.objects.get()
    assert receipt.status == ReceiptStatus.FAILED
    assert receipt.detail.startswith("currency_mismatch")
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    "payload",
    [{}, {"id": None}, {"id": 1, "currency": "USD", "subtotal_price": "-5"}, {"id": 1, "subtotal_price": "x"}],
)
def test_a_malformed_order_fails_its_receipt_and_writes_nothing_else(program, deliver, payload):
    # when
    deliver(program, "orders/paid", payload)

    # then
    assert WebhookReceipt.objects.get().status == ReceiptStatus.FAILED
    assert Member.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"id": "\\u0000"}', b'{"id": "\\ud800"}'],
)
def test_unstorable_bodies_are_400(program, client, body):
    # given
    from tests.factories.shopify import shopify_signature

    # when
    response = client.post(
        f"/webhooks/shopify/{program.public_key}/",
        body,
        content_type="application/json",
        HTTP_X_SHOPIFY_TOPIC="orders/paid",
        HTTP_X_SHOPIFY_HMAC_SHA256=shopify_signature(program.webhook_secret, body),
        HTTP_X_SHOPIFY_WEBHOOK_ID="w-1",
    )

    # then
    assert response.status_code == 400
    assert WebhookReceipt.objects.count() == 0


def test_an_unknown_topic_is_acknowledged_and_ignored(program, deliver):
    # when
    response = deliver(program, "products/update", {"id": 1})

    # then
    assert response.status_code == 200
    assert WebhookReceipt.objects.count() == 0


def test_an_unknown_program_is_404(client):
    # when
    response = client.post("/webhooks/shopify/pk_nope/", b"{}", content_type="application/json")

    # then
    assert response.status_code == 404


def test_answering_takes_a_fixed_number_of_queries(program, client, django_assert_num_queries):
    # given: the work is queued, not done while Shopify waits
    from tests.factories.shopify import raw, shopify_signature

    body = raw(order_payload())

    # when / then: program, savepoint + receipt insert + release
    with django_assert_num_queries(4):
        response = client.post(
            f"/webhooks/shopify/{program.public_key}/",
            body,
            content_type="application/json",
            HTTP_X_SHOPIFY_TOPIC="orders/paid",
            HTTP_X_SHOPIFY_HMAC_SHA256=shopify_signature(program.webhook_secret, body),
            HTTP_X_SHOPIFY_WEBHOOK_ID="w-1",
        )
    assert response.status_code == 200
    assert Order.objects.count() == 0
