"""Queueing and delivering outbound webhook events.

Every event is one `WebhookDelivery` per subscribed endpoint, unique by (endpoint, event_id), so an event
recorded twice is delivered once. The body is JSON `{id, type, created_at, program, data}`; the request is
signed like Stripe's: `X-Loyalty-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, so a
receiver can verify the body and refuse replays older than a few minutes. Delivery runs in Celery after
commit, with exponential retries; the admin lists every attempt's outcome and redelivers by hand."""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from loyalty.models import Program
from members.job_models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from members.webhooks.subscriptions import webhook_events_subscribed

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
TIMEOUT_SECONDS = 10
INSERT_BATCH = 500
USER_AGENT = "loyalty-webhooks/1"


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_subscribed(*, program: Program | int, event: str) -> bool:
    """Whether any active endpoint of the program takes `event` (callers skip building payloads otherwise).
    Cached per program (`subscriptions.py`): no query on the hot paths."""
    return event in webhook_events_subscribed(program if isinstance(program, int) else program.pk)


def webhook_events_record(*, program: Program, event: str, events: Iterable[tuple[str, dict]], at: datetime) -> int:
    """Queue `event` for every active endpoint of the program subscribed to it: `events` is (event_id, data)
    pairs. Call it inside the transaction that made the fact: a rollback takes the deliveries with it, and the
    sending starts after commit. An event id already recorded for an endpoint is skipped (the unique
    (endpoint, event_id), ON CONFLICT DO NOTHING), so a replay queues nothing new. Without a subscriber it costs
    no query. Returns the deliveries created."""
    if not webhook_subscribed(program=program, event=event):
        return 0
    endpoints = [e.pk for e in WebhookEndpoint.objects.filter(program=program, active=True) if event in e.events]
    events = list(events)
    if not endpoints or not events:
        return 0
    rows = [
        (
            endpoint_id,
            event_id,
            {"id": event_id, "type": event, "created_at": at, "program": program.slug, "data": data},
        )
        for endpoint_id in endpoints
        for event_id, data in events
    ]
    created = []
    for start in range(0, len(rows), INSERT_BATCH):
        created += _insert_new(event=event, rows=rows[start : start + INSERT_BATCH])
    if created:
        transaction.on_commit(lambda: _queue(created))
    logger.info("webhook events queued program=%s event=%s count=%s", program.slug, event, len(created))
    return len(created)


def _insert_new(*, event: str, rows: list[tuple[int, str, dict]]) -> list[int]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the ids of the deliveries that were not there yet, so only
    those are sent (PostgreSQL and SQLite ≥ 3.35 alike; Django's bulk_create gives no ids with ignore_conflicts)."""
    connection = transaction.get_connection()
    opts = WebhookDelivery._meta
    columns = ["endpoint_id", "event", "event_id", "payload", "status", "attempts", "last_error", "created_at"]
    payload_field, created_field = opts.get_field("payload"), opts.get_field("created_at")
    now = created_field.get_db_prep_save(timezone.now(), connection)
    params = []
    for endpoint_id, event_id, payload in rows:
        payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
        body = payload_field.get_db_prep_save(payload, connection)
        params += [endpoint_id, event, event_id, body, DeliveryStatus.PENDING, 0, "", now]
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(c) for c in columns)}) VALUES {placeholders} "
        f"ON CONFLICT ({quote('endpoint_id')}, {quote('event_id')}) DO NOTHING RETURNING {quote('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _queue(delivery_ids: list[int]) -> None:
    from members.webhooks.tasks import webhook_deliver_task

    for delivery_id in delivery_ids:
        webhook_deliver_task.delay(delivery_id)


def webhook_deliver(*, delivery_id: int) -> bool:
    """POST the delivery once. True when the endpoint answered 2xx (or it was already delivered); False when
    it should be retried. The attempt's outcome is recorded either way."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status == DeliveryStatus.DELIVERED:
        return True
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timestamp = int(time.time())
    request = urllib.request.Request(
        delivery.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Loyalty-Event": delivery.event,
            "X-Loyalty-Delivery": delivery.event_id,
            "X-Loyalty-Signature": webhook_signature(secret=delivery.endpoint.secret, timestamp=timestamp, body=body),
        },
    )
    status, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        error = str(getattr(exc, "reason", exc))[:500]
    ok = status is not None and 200 <= status < 300
    attempts = delivery.attempts + 1
    outcome = DeliveryStatus.DELIVERED if ok else DeliveryStatus.FAILED if attempts >= MAX_ATTEMPTS else None
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=F("attempts") + 1,
        response_status=status,
        last_error=error,
        status=outcome or DeliveryStatus.PENDING,
        delivered_at=timezone.now() if ok else None,
    )
    logger.info(
        "webhook attempt delivery=%s event=%s url=%s status=%s attempts=%s error=%s",
        delivery.pk,
        delivery.event,
        delivery.endpoint.url,
        status,
        attempts,
        error,
    )
    return ok or outcome == DeliveryStatus.FAILED


def webhook_redeliver(*, delivery_ids: list[int]) -> int:
    """Send these deliveries again, by hand (same body, same event id, so the receiver can deduplicate)."""
    from members.webhooks.tasks import webhook_deliver_task

    WebhookDelivery.objects.filter(pk__in=delivery_ids).update(status=DeliveryStatus.PENDING, attempts=0)
    for delivery_id in delivery_ids:
        transaction.on_commit(lambda pk=delivery_id: webhook_deliver_task.delay(pk))
    return len(delivery_ids)
