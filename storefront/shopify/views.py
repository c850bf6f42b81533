"""`POST /webhooks/shopify/{public_key}/` (contract §5). Answers fast: verify the signature on the raw body
before parsing anything, store the delivery once per `X-Shopify-Webhook-Id`, queue the work, answer 200."""

import json
import logging

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from loyalty.api.errors import error_body
from loyalty.api.fields import storable_text
from loyalty.models import Program
from storefront.shopify.services import TOPICS, shopify_signature_valid, webhook_receive

logger = logging.getLogger(__name__)


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)


@csrf_exempt
@require_POST
def shopify_webhook(request, public_key: str):
    program = (
        Program.objects.filter(public_key=public_key).first() if storable_text(public_key, max_length=40) else None
    )
    if program is None:
        return _error(404, "unknown_program", "No program with this public key.")
    try:
        raw = request.body
    except RequestDataTooBig:
        return _error(413, "payload_too_large", "The body is larger than this endpoint accepts.")
    if not shopify_signature_valid(
        program=program, raw_body=raw, signature=request.headers.get("X-Shopify-Hmac-Sha256", "")
    ):
        logger.warning("shopify webhook refused: bad signature program=%s", program.slug)
        return _error(401, "invalid_signature", "X-Shopify-Hmac-Sha256 does not match the body.")
    topic = request.headers.get("X-Shopify-Topic", "")
    if topic not in TOPICS:
        return JsonResponse({"status": "ignored", "reason": "topic not handled"})
    webhook_id = request.headers.get("X-Shopify-Webhook-Id", "")
    if not storable_text(webhook_id):
        return _error(400, "invalid_webhook_id", "X-Shopify-Webhook-Id is required.")
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):
        return _error(400, "malformed_json", "The request body is not valid JSON.")
    if not isinstance(payload, dict) or not _storable(payload):
        return _error(400, "invalid_payload", "The body must be a JSON object without NUL characters.")
    receipt, created = webhook_receive(program=program, webhook_id=webhook_id, topic=topic, payload=payload)
    return JsonResponse({"status": "queued" if created else "duplicate", "webhook_id": receipt.webhook_id})


def _storable(value, depth: int = 0) -> bool:
    """PostgreSQL's jsonb refuses NUL characters and unpaired surrogates anywhere in the document."""
    if depth > 64:
        return False
    if isinstance(value, str):
        return storable_text(value, max_length=len(value)) or value == ""
    if isinstance(value, dict):
        return all(_storable(k, depth + 1) and _storable(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(v, depth + 1) for v in value)
    return True
