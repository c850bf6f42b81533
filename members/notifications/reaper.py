"""The `reap_notifications` job: what a dead worker or a lost task left behind, settled without sending twice.

- A claim older than `STALE_CLAIM` (status `sending`): the worker died between claiming the row and recording the
  outcome, maybe after the mail server took the email. It is never resent blindly: it becomes `failed` with a
  last error that says the outcome is unknown (the admin lists it; staff may decide).
- A row still `queued` `LOST_TASK` after it was created or last tried: its sending task was lost (broker restart,
  purged queue). It was never claimed, so sending it cannot double it: it is queued for sending again.

Both are set-based: one UPDATE for the stale claims, the lost rows walked by primary key in chunks."""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce

from members.job_models import Notification, NotificationStatus
from members.services.job_runs import job_progress

logger = logging.getLogger(__name__)

# Far longer than one send can take (the SMTP timeout) …
STALE_CLAIM = timedelta(minutes=15)
# … and than the longest retry backoff of a failed send (30 s doubling, 5 attempts: 8 min), so a row waiting for
# its retry is not mistaken for a lost one.
LOST_TASK = timedelta(minutes=30)
UNKNOWN_OUTCOME = "The worker stopped while sending it: not sent again, it may or may not have arrived."
CHUNK_SIZE = 1000


def notifications_reap(as_of: datetime, *, chunk_size: int = CHUNK_SIZE) -> int:
    """Settle stale claims and requeue lost notifications as of `as_of`. Returns the rows touched."""
    reaped = Notification.objects.filter(
        Q(claimed_at__lt=as_of - STALE_CLAIM) | Q(claimed_at__isnull=True, created_at__lt=as_of - STALE_CLAIM),
        status=NotificationStatus.SENDING,
    ).update(status=NotificationStatus.FAILED, last_error=UNKNOWN_OUTCOME)
    job_progress(rows=reaped)
    requeued = 0
    lost = (
        Notification.objects.filter(status=NotificationStatus.QUEUED)
        .alias(last_try=Coalesce("claimed_at", "created_at"))
        .filter(last_try__lt=as_of - LOST_TASK)
        .order_by("pk")
    )
    after = 0
    while ids := list(lost.filter(pk__gt=after).values_list("pk", flat=True)[:chunk_size]):
        _send_again(ids)
        job_progress(rows=len(ids))
        requeued += len(ids)
        after = ids[-1]
    logger.info("notifications reaped as_of=%s stale_claims=%s requeued=%s", as_of.isoformat(), reaped, requeued)
    return reaped + requeued


def _send_again(ids: list[int]) -> None:
    from members.notifications.tasks import notifications_send_task

    for start in range(0, len(ids), 100):
        chunk = ids[start : start + 100]
        transaction.on_commit(lambda chunk=chunk: notifications_send_task.delay(chunk))
