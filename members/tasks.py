"""Thin Celery tasks: the work is in services."""

import logging

from celery import shared_task
from django.utils import timezone

from members.import_tasks import import_job_run_task  # noqa: F401  (registers the task)
from members.jobs import JobNotImplemented, run_job
from members.notifications.tasks import notifications_send_task  # noqa: F401  (registers the task)
from members.webhooks.tasks import webhook_deliver_task  # noqa: F401  (registers the task)

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def run_job_task(name: str, as_of: str | None = None) -> int:
    as_of_dt = timezone.datetime.fromisoformat(as_of) if as_of else timezone.now()
    try:
        touched = run_job(name, as_of_dt)
    except JobNotImplemented as exc:
        logger.warning("job skipped name=%s reason=%s", name, exc)
        return 0
    logger.info("job finished name=%s as_of=%s rows=%s", name, as_of_dt.isoformat(), touched)
    return touched
