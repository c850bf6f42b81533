"""Thin Celery task: one delivery attempt, retried with exponential backoff (30 s, 1 min, 2 min … ~1 h)."""

from celery import shared_task

from members.webhooks.delivery import MAX_ATTEMPTS, webhook_deliver


@shared_task(bind=True, acks_late=True, max_retries=MAX_ATTEMPTS - 1)
def webhook_deliver_task(self, delivery_id: int) -> bool:
    if not webhook_deliver(delivery_id=delivery_id):
        raise self.retry(countdown=30 * 2**self.request.retries)
    return True
