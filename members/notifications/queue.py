"""Recording the facts to mail, in bulk, and queueing their sending after the transaction commits."""

import logging
from collections.abc import Iterable

from django.db import transaction

from loyalty.models import Program
from members.job_models import Notification
from members.models import Member

logger = logging.getLogger(__name__)

Fact = tuple[int, str, dict]  # (member_id, idempotency key, template context)


def notifications_create(*, program: Program, kind: str, facts: Iterable[Fact]) -> int:
    """One queued notification per fact, for members who take emails; a fact already recorded (same key)
    is skipped by the unique constraint (ON CONFLICT DO NOTHING), so replays never mail twice.
    The sending task is queued when the caller's transaction commits. Returns the number of new rows."""
    facts = {key: (member_id, context) for member_id, key, context in facts}
    if not facts:
        return 0
    mailable = set(
        Member.objects.filter(pk__in={member_id for member_id, _ in facts.values()}, emails_allowed=True)
        .exclude(email="")
        .values_list("pk", flat=True)
    )
    if not mailable:
        return 0
    known = set(Notification.objects.filter(program=program, key__in=list(facts)).values_list("key", flat=True))
    rows = [
        Notification(program=program, member_id=member_id, kind=kind, key=key, context=context)
        for key, (member_id, context) in facts.items()
        if member_id in mailable and key not in known
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    if rows:
        keys = [row.key for row in rows]
        transaction.on_commit(lambda: _queue_sending(program_id=program.pk, keys=keys))
        logger.info("notifications queued program=%s kind=%s count=%s", program.slug, kind, len(rows))
    return len(rows)


def _queue_sending(*, program_id: int, keys: list[str]) -> None:
    from members.notifications.tasks import notifications_send_task

    ids = list(Notification.objects.filter(program_id=program_id, key__in=keys).values_list("pk", flat=True))
    for start in range(0, len(ids), 100):
        notifications_send_task.delay(ids[start : start + 100])
