import itertools

import pytest

from tests.factories.shopify import raw, shopify_signature

_ids = itertools.count(1)


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """POST a Shopify webhook as Shopify does (signed raw body) and run what it queued (Celery is eager)."""

    def send(program, topic: str, payload: dict, *, webhook_id: str | None = None, signature: str | None = None):
        body = raw(payload)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/webhooks/shopify/{program.public_key}/",
                body,
                content_type="application/json",
                HTTP_X_SHOPIFY_TOPIC=topic,
                HTTP_X_SHOPIFY_HMAC_SHA256=signature
                if signature is not None
                else shopify_signature(program.webhook_secret, body),
                HTTP_X_SHOPIFY_WEBHOOK_ID=webhook_id or f"wh-{next(_ids)}",
                HTTP_X_SHOPIFY_SHOP_DOMAIN="shop.myshopify.com",
                HTTP_X_SHOPIFY_API_VERSION="2025-10",
            )

    return send
