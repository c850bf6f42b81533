"""The `award_birthdays` job: the program's live `birthday` rule credits its points on the member's birthday,
in the program's time zone, once per member and year (key `birthday:{member_id}:{year}`). Members born on
Feb 29 celebrate on Feb 28 in common years.

Set-based like the other jobs that write the ledger (see `members.services.expiry`): per chunk of members,
one transaction locks them in PK order, inserts the rows in bulk and moves the cached counters with them;
members who already have this year's key are left out under the lock, so re-runs and crashed runs award once.
"""

import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from loyalty.choices import ExpiryPolicy, RuleType
from loyalty.models import EarningRule, Program
from loyalty.rules import live_rules
from members.choices import TransactionKind, TransactionSource, TransactionStatus
from members.job_models import NotificationKind, WebhookEvent
from members.models import Member, Transaction
from members.notifications.queue import notifications_create
from members.segments import segment_q
from members.services.job_chunks import member_id_ranges
from members.services.job_runs import job_progress
from members.services.ledger import POINTS_LIMIT
from members.services.tier_recalculation import tiers_upgrade_members
from members.webhooks.delivery import webhook_events_record, webhook_subscribed

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000


def award_birthdays(as_of: datetime, *, chunk_size: int | None = None) -> int:
    """Credit today's birthdays (the program's local date at `as_of`). Returns the rows written."""
    if timezone.is_naive(as_of):
        as_of = as_of.replace(tzinfo=UTC)
    chunk_size = chunk_size or CHUNK_SIZE
    rows = 0
    rules = EarningRule.objects.filter(type=RuleType.BIRTHDAY, active=True, points__gt=0).select_related("program")
    first_rule = {}  # one birthday rule per program: its first live one
    for rule in live_rules(rules.order_by("program_id", "position", "id"), rule_type=RuleType.BIRTHDAY, at=as_of):
        first_rule.setdefault(rule.program_id, rule)
    for rule in first_rule.values():
        program = rule.program
        today = as_of.astimezone(ZoneInfo(program.timezone)).date()
        for first, last in member_id_ranges(program_id=program.pk, size=chunk_size):
            chunk = _award_chunk(program=program, rule=rule, first=first, last=last, today=today, at=as_of)
            job_progress(rows=chunk)
            rows += chunk
    logger.info("birthdays awarded as_of=%s rows=%s", as_of.isoformat(), rows)
    return rows


def birthdays_on(today: date) -> Q:
    """Members whose birthday is `today`; on Feb 28 of a common year, those born on Feb 29 too."""
    match = Q(birthday__month=today.month, birthday__day=today.day)
    if today.month == 2 and today.day == 28 and (today + timedelta(days=1)).month == 3:
        match |= Q(birthday__month=2, birthday__day=29)
    return match


@transaction.atomic
def _award_chunk(*, program: Program, rule: EarningRule, first: int, last: int, today: date, at: datetime) -> int:
    points = rule.points
    celebrating = Member.objects.filter(birthdays_on(today), program_id=program.pk, pk__gte=first, pk__lte=last)
    if rule.segment_id is not None:  # a segment-limited birthday rule: its members only, in the same query
        celebrating = celebrating.filter(segment_q(rule.segment, at=at))
    locked = list(celebrating.select_for_update().order_by("pk").values_list("pk", "points_balance", "lifetime_points"))
    if not locked:
        return 0
    key = f"birthday:{{}}:{today.year}"
    done = set(
        Transaction.objects.filter(
            program_id=program.pk, idempotency_key__in=[key.format(pk) for pk, _, _ in locked]
        ).values_list("member_id", flat=True)
    )
    due = [
        (pk, balance)
        for pk, balance, lifetime in locked
        if pk not in done and balance + points <= POINTS_LIMIT and lifetime + points <= POINTS_LIMIT
    ]
    if not due:
        return 0
    lots = program.expiry_policy == ExpiryPolicy.FIXED and program.expiry_days
    Transaction.objects.bulk_create(
        [
            Transaction(
                program_id=program.pk,
                member_id=pk,
                kind=TransactionKind.EARN,
                points=points,
                balance_after=balance + points,
                status=TransactionStatus.ACTIVE,
                source=TransactionSource.RULE,
                description=rule.name or "Birthday",
                idempotency_key=key.format(pk),
                created_at=at,
                expires_at=at + timedelta(days=program.expiry_days) if lots else None,
                remaining=points if lots else None,
            )
            for pk, balance in due
        ],
        batch_size=1000,
    )
    member_ids = [pk for pk, _ in due]
    Member.objects.filter(pk__in=member_ids).update(
        points_balance=F("points_balance") + points,
        lifetime_points=F("lifetime_points") + points,
        last_activity_at=at,
        updated_at=timezone.now(),
    )
    tiers_upgrade_members(member_ids=member_ids, at=at)
    notifications_create(
        program=program,
        kind=NotificationKind.BIRTHDAY,
        facts=[(pk, key.format(pk), {"points": points}) for pk in member_ids],
    )
    if webhook_subscribed(program=program, event=WebhookEvent.POINTS_EARNED):
        customers = dict(Member.objects.filter(pk__in=member_ids).values_list("pk", "customer_id"))
        webhook_events_record(
            program=program,
            event=WebhookEvent.POINTS_EARNED,
            events=[
                (
                    f"points.earned:{key.format(pk)}",
                    {"customer_id": customers[pk], "points": points, "reason": "birthday"},
                )
                for pk in member_ids
            ],
            at=at,
        )
    return len(due)
