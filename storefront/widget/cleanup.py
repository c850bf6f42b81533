"""The `forget_widget_answers` job: kept `me` answers (storefront.MeAnswer) whose time is over are deleted.

An answer is kept at most `ME_SECONDS` (storefront/widget/caching.py) and is never served after `expires_at`, so a
row past it only takes space: one per member who ever opened the widget, a few kilobytes each. The next view of
that member builds and keeps a new one."""

import logging
from datetime import datetime

from storefront.models import MeAnswer

logger = logging.getLogger(__name__)

CHUNK = 5_000


def me_answers_forget(as_of: datetime, *, chunk_size: int = CHUNK) -> int:
    """Delete the answers that expired before `as_of`, walking the table in primary-key chunks (one short
    statement each, whatever the table's size). Idempotent: a re-run for the same `as_of` finds nothing."""
    due = MeAnswer.objects.filter(expires_at__lt=as_of).order_by("pk")
    deleted, last_pk = 0, 0
    while True:
        ids = list(due.filter(pk__gt=last_pk).values_list("pk", flat=True)[:chunk_size])
        if not ids:
            break
        # The expiry is checked again: an answer rebuilt since the read above is current and stays.
        deleted += MeAnswer.objects.filter(pk__in=ids, expires_at__lt=as_of).delete()[0]
        last_pk = ids[-1]
    logger.info("widget answers forgotten as_of=%s rows=%s", as_of.isoformat(), deleted)
    return deleted
