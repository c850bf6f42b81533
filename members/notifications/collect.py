"""Jobs that turn what happened into notifications (the emails themselves go out in `sending`):
- `notify_tier_changes`: every `TierChange` not yet told (`notified_at IS NULL`), except joining the entry tier;
- `send_points_digest`: one email per member per local day they earned points (a digest, not one per order).
Both chunked by primary key, set-based, idempotent through the notification keys."""

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from loyalty.models import Program
from members.choices import EARNING_KINDS, TierChangeReason, TransactionStatus
from members.job_models import NotificationKind, WebhookEvent
from members.models import Member, TierChange, Transaction
from members.notifications.queue import notifications_create
from members.services.job_chunks import member_id_ranges
from members.services.job_runs import job_progress
from members.webhooks.delivery import webhook_events_record

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000


def notify_tier_changes(as_of: datetime, *, chunk_size: int = CHUNK_SIZE) -> int:
    """Queue a tier-up or tier-down email for each untold tier change made up to `as_of`, and mark it told."""
    queued = 0
    while True:
        with transaction.atomic():
            changes = list(
                TierChange.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(notified_at__isnull=True, created_at__lte=as_of)
                .select_related("member", "from_tier", "to_tier")
                .order_by("pk")[:chunk_size]
            )
            if not changes:
                break
            by_program: dict[int, list] = {}
            for change in changes:
                if change.reason == TierChangeReason.JOINED or change.to_tier is None:
                    continue
                up = change.from_tier is None or change.to_tier.position > change.from_tier.position
                if change.reason == TierChangeReason.MEMBERSHIP and not up:
                    continue  # the "membership ended" email already says so
                fact = (change.member_id, f"tier_changed:{change.pk}", {"tier": change.to_tier.name, "up": up})
                by_program.setdefault(change.member.program_id, []).append(fact)
            chunk = 0
            for program in Program.objects.filter(pk__in=by_program):
                chunk += notifications_create(
                    program=program, kind=NotificationKind.TIER_CHANGED, facts=by_program[program.pk]
                )
            _tier_events(changes)
            TierChange.objects.filter(pk__in=[c.pk for c in changes]).update(notified_at=timezone.now())
        job_progress(rows=chunk)
        queued += chunk
    logger.info("tier change notifications queued as_of=%s count=%s", as_of.isoformat(), queued)
    return queued


def _tier_events(changes: list[TierChange]) -> None:
    """`tier.changed` to the merchants' endpoints, once per change (event id `tier.changed:{id}`)."""
    by_program: dict[int, list] = {}
    for change in changes:
        data = {
            "customer_id": change.member.customer_id,
            "from": change.from_tier.key if change.from_tier else None,
            "to": change.to_tier.key if change.to_tier else None,
            "reason": change.reason,
        }
        by_program.setdefault(change.member.program_id, []).append((f"tier.changed:{change.pk}", data))
    for program in Program.objects.filter(pk__in=by_program):
        webhook_events_record(
            program=program, event=WebhookEvent.TIER_CHANGED, events=by_program[program.pk], at=timezone.now()
        )


def send_points_digest(as_of: datetime, *, chunk_size: int = CHUNK_SIZE) -> int:
    """Queue one email per member who earned points on the program's previous local day (before `as_of`)."""
    if timezone.is_naive(as_of):
        as_of = as_of.replace(tzinfo=UTC)
    queued = 0
    for program in Program.objects.order_by("pk"):
        tz = ZoneInfo(program.timezone)
        day = as_of.astimezone(tz).date() - timedelta(days=1)
        start = datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz).astimezone(UTC)
        for first, last in member_id_ranges(program_id=program.pk, size=chunk_size):
            earned = (
                Transaction.objects.filter(
                    member_id__gte=first,
                    member_id__lte=last,
                    program_id=program.pk,
                    kind__in=EARNING_KINDS,
                    status=TransactionStatus.ACTIVE,
                    points__gt=0,
                    created_at__gte=start,
                    created_at__lt=end,
                )
                .order_by()
                .values("member_id")
                .annotate(points=Sum("points"))
                .values_list("member_id", "points")
            )
            balances = dict(
                Member.objects.filter(
                    pk__gte=first, pk__lte=last, program_id=program.pk, pk__in=earned.values("member_id")
                ).values_list("pk", "points_balance")
            )
            facts = [
                (
                    member_id,
                    f"points_earned:{member_id}:{day.isoformat()}",
                    {"points": points, "balance": balances[member_id]},
                )
                for member_id, points in earned
                if member_id in balances
            ]
            chunk = notifications_create(program=program, kind=NotificationKind.POINTS_EARNED, facts=facts)
            job_progress(rows=chunk)
            queued += chunk
    logger.info("points digests queued as_of=%s count=%s", as_of.isoformat(), queued)
    return queued
