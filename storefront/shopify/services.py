"""Shopify webhooks: receive (verify, deduplicate, store, queue) and process (call the same orchestrators as
the server API: `member_join`, `order_paid`, `order_refunded`)."""

import base64
import hashlib
import hmac
import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from loyalty.errors import ApplicationError
from loyalty.models import Program
from members.models import Order
from referrals.services.flows import member_join, order_paid, order_refunded
from storefront.models import ReceiptStatus, ShopifySettings, WebhookReceipt
from storefront.shopify.payloads import customer_parse, order_parse, refund_parse

logger = logging.getLogger(__name__)

TOPICS = ("orders/paid", "orders/cancelled", "refunds/create", "customers/create", "customers/update")


class Ignored(Exception):
    """Nothing to do for this delivery (a test order, a guest checkout, an order we never recorded)."""


def shopify_signature_valid(*, program: Program, raw_body: bytes, signature: str) -> bool:
    """`X-Shopify-Hmac-Sha256` = base64(HMAC-SHA256(webhook_secret, raw body)), compared in constant time."""
    expected = base64.b64encode(hmac.new(program.webhook_secret.encode(), raw_body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, (signature or "").strip().encode("utf-8", "replace"))


def webhook_receive(*, program: Program, webhook_id: str, topic: str, payload) -> tuple[WebhookReceipt, bool]:
    """Store a verified delivery once and queue its processing after commit. Returns (receipt, created);
    a redelivery of the same webhook id returns the first receipt and queues nothing."""
    from storefront.tasks import shopify_webhook_process_task  # tasks import this module

    try:
        with transaction.atomic():
            receipt = WebhookReceipt.objects.create(
                program=program, webhook_id=webhook_id, topic=topic, payload=payload
            )
            transaction.on_commit(lambda: shopify_webhook_process_task.delay(receipt.pk))
    except IntegrityError:
        first = WebhookReceipt.objects.filter(program=program, webhook_id=webhook_id).first()
        if first is None:
            raise
        logger.info("shopify webhook replayed program=%s webhook_id=%s topic=%s", program.slug, webhook_id, topic)
        return first, False
    logger.info("shopify webhook queued program=%s webhook_id=%s topic=%s", program.slug, webhook_id, topic)
    return receipt, True


def webhook_process(*, receipt_id: int) -> WebhookReceipt:
    """Do the work of one delivery once. Refusals (bad payload, currency mismatch…) mark the receipt failed
    with the reason; anything else propagates so the task retries."""
    receipt = WebhookReceipt.objects.select_related("program").get(pk=receipt_id)
    if receipt.status != ReceiptStatus.RECEIVED:
        return receipt
    try:
        HANDLERS[receipt.topic](program=receipt.program, payload=receipt.payload)
    except Ignored as reason:
        status, detail = ReceiptStatus.IGNORED, str(reason)
    except ApplicationError as error:
        status, detail = ReceiptStatus.FAILED, f"{error.code}: {error.message}"
    else:
        status, detail = ReceiptStatus.PROCESSED, ""
    WebhookReceipt.objects.filter(pk=receipt.pk).update(status=status, detail=detail[:255], processed_at=timezone.now())
    receipt.status, receipt.detail = status, detail[:255]
    logger.info(
        "shopify webhook %s program=%s webhook_id=%s topic=%s detail=%r",
        status,
        receipt.program.slug,
        receipt.webhook_id,
        receipt.topic,
        detail,
    )
    return receipt


def _accepts_test_orders(program: Program) -> bool:
    return ShopifySettings.objects.filter(program=program, accept_test_orders=True).exists()


def _order_paid(*, program: Program, payload) -> None:
    order = order_parse(payload)
    if order.test and not _accepts_test_orders(program):
        raise Ignored("test order")
    if order.customer is None:
        raise Ignored("guest checkout: no customer")
    customer = order.customer
    member_join(
        program=program,
        customer_id=customer["id"],
        email=customer.get("email") or order.email,
        first_name=customer.get("first_name"),
        last_name=customer.get("last_name"),
        signals=order.signals,
    )
    order_paid(
        program=program,
        order_id=order.order_id,
        customer_id=customer["id"],
        subtotal=order.subtotal,
        currency=order.currency,
        email=order.email,
        placed_at=order.placed_at,
        referral_code=order.referral_code,
        items=order.items,
        signals=order.signals,
    )


def _refund(*, program: Program, order_id: str, refund_id: str, amount: Decimal) -> None:
    """Reverse points for `amount`, cut to what is left of the order: a cancellation and the refunds
    Shopify sends with it may arrive in any order and never take back more than the order earned."""
    order = Order.objects.filter(program=program, order_id=order_id).first()
    if order is None:
        raise Ignored(f"order {order_id} was never recorded")
    amount = min(amount, order.subtotal - order.refunded_amount)
    if amount <= 0:
        raise Ignored("nothing left to refund")
    order_refunded(program=program, order_id=order_id, refund_id=refund_id, amount=amount)


def _refund_created(*, program: Program, payload) -> None:
    refund = refund_parse(payload)
    _refund(program=program, order_id=refund.order_id, refund_id=refund.refund_id, amount=refund.amount)


def _order_cancelled(*, program: Program, payload) -> None:
    order = order_parse(payload)
    _refund(program=program, order_id=order.order_id, refund_id=f"cancel:{order.order_id}", amount=order.subtotal)


def _customer_changed(*, program: Program, payload) -> None:
    member_join(program=program, **customer_parse(payload))


HANDLERS = {
    "orders/paid": _order_paid,
    "orders/cancelled": _order_cancelled,
    "refunds/create": _refund_created,
    "customers/create": _customer_changed,
    "customers/update": _customer_changed,
}
