"""Thin Celery tasks: the work is in services."""

from celery import shared_task
from django.db import DatabaseError

from storefront.shopify.services import webhook_process


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def shopify_webhook_process_task(receipt_id: int) -> str:
    return webhook_process(receipt_id=receipt_id).status
