"""Thin Celery task: send queued notifications, retrying the failed ones with exponential backoff."""

from celery import shared_task

from members.notifications.sending import MAX_ATTEMPTS, notifications_send


@shared_task(bind=True, acks_late=True, max_retries=MAX_ATTEMPTS)
def notifications_send_task(self, notification_ids: list[int]) -> int:
    failed = notifications_send(notification_ids=notification_ids)
    if failed:
        raise self.retry(args=[failed], countdown=30 * 2**self.request.retries)
    return len(notification_ids)
