"""The `expire_points` job: points past their expiry leave the balance, as `expire` ledger rows.

Policies (per program):
- `never`: nothing expires.
- `fixed`: each earned lot (a credit with `expires_at`/`remaining`, see `ledger._track_lots`) expires
  `expiry_days` after it was earned; debits already spent the oldest lots first, so what is left in a lot
  is what expires. One row per lot, key `expire:{lot_id}`, dated at the lot's `expires_at`.
- `inactivity`: the whole balance expires `expiry_days` after the member's last earning or spending
  (`Member.last_activity_at`). One row, key `expire:inactive:{member_id}:{deadline_date}`, dated at the deadline.

The one exception to "only `points_post` writes points": this module writes the ledger set-based, and keeps
its invariants the same way — per chunk of members, one transaction locks them in PK order, then the
expire rows, the members' cached balances and the lots' `remaining` move together, so `ledger_verify` holds
after every committed chunk. A crash loses at most the chunk in flight, which a re-run redoes; what was
committed is not selected again (the lots are spent, the balances are 0) and the idempotency keys are
unique, so a re-run for the same `as_of` expires nothing twice. Expiry is not activity: `last_activity_at`
stays as it was.
"""

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from loyalty.choices import ExpiryPolicy
from loyalty.models import Program
from members.choices import TransactionKind, TransactionSource, TransactionStatus
from members.job_models import NotificationKind, WebhookEvent
from members.models import Member, Transaction
from members.notifications.queue import notifications_create
from members.services.job_chunks import member_id_ranges
from members.services.job_runs import job_progress
from members.webhooks.delivery import webhook_events_record, webhook_subscribed

logger = logging.getLogger(__name__)

CHUNK_SIZE = 5000
EXPIRED_DESCRIPTION = "Points expired"


def expire_points(as_of: datetime, *, chunk_size: int | None = None, program_ids: list[int] | None = None) -> int:
    """Expire every lot due at `as_of` (fixed policy) and every balance left inactive past its deadline
    (inactivity policy). Returns the number of expire rows written; a second run for the same `as_of` writes none."""
    if timezone.is_naive(as_of):
        as_of = as_of.replace(tzinfo=UTC)
    chunk_size = chunk_size or CHUNK_SIZE
    rows = 0
    programs = Program.objects.filter(expiry_days__gt=0).order_by("pk")
    if program_ids is not None:
        programs = programs.filter(pk__in=program_ids)
    for program in programs.filter(expiry_policy=ExpiryPolicy.FIXED):
        for first, last in member_id_ranges(program_id=program.pk, size=chunk_size):
            rows += _chunk_done(_expire_lots(program=program, first=first, last=last, as_of=as_of))
    for program in programs.filter(expiry_policy=ExpiryPolicy.INACTIVITY):
        cutoff = as_of - timedelta(days=program.expiry_days)
        for first, last in member_id_ranges(program_id=program.pk, size=chunk_size):
            rows += _chunk_done(_expire_inactive(program=program, first=first, last=last, cutoff=cutoff))
    logger.info("points expired as_of=%s rows=%s", as_of.isoformat(), rows)
    return rows


def _chunk_done(rows: int) -> int:
    job_progress(rows=rows)
    return rows


def due_lots(*, program_id: int, first: int, last: int, as_of: datetime):
    return Transaction.objects.filter(
        program_id=program_id,
        member_id__gte=first,
        member_id__lte=last,
        status=TransactionStatus.ACTIVE,
        remaining__gt=0,
        expires_at__lte=as_of,
    )


def _lock_members(member_ids) -> list[int]:
    return list(
        Member.objects.select_for_update().filter(pk__in=member_ids).order_by("pk").values_list("pk", flat=True)
    )


@transaction.atomic
def _expire_lots(*, program: Program, first: int, last: int, as_of: datetime) -> int:
    due = due_lots(program_id=program.pk, first=first, last=last, as_of=as_of)
    if not _lock_members(due.values("member_id")):
        return 0
    expiring = {
        member_id: min(total, balance)
        for member_id, total, balance in due.order_by()
        .values("member_id", "member__points_balance")
        .annotate(total=Sum("remaining"))
        .values_list("member_id", "total", "member__points_balance")
        if min(total, balance) > 0
    }
    # Re-read under the lock. A lot expires what is left of it, never more than the balance (a program that
    # switched to `fixed` has older points that are no lots): clamp(balance - earlier lots, 0, remaining).
    lots_sql, lots_params = due.values("id", "member_id", "remaining", "expires_at").query.sql_with_params()
    running = (
        "SELECT l.id, l.member_id, l.expires_at, m.points_balance AS balance, l.remaining,"
        " SUM(l.remaining) OVER (PARTITION BY l.member_id ORDER BY l.expires_at, l.id"
        " ROWS UNBOUNDED PRECEDING) AS running"
        f" FROM ({lots_sql}) l JOIN members_member m ON m.id = l.member_id"
    )
    amount = (
        "CASE WHEN r.balance - (r.running - r.remaining) <= 0 THEN 0"
        " WHEN r.balance - (r.running - r.remaining) < r.remaining THEN r.balance - (r.running - r.remaining)"
        " ELSE r.remaining END"
    )
    balance_after = "CASE WHEN r.running >= r.balance THEN 0 ELSE r.balance - r.running END"
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO members_transaction (program_id, member_id, kind, points, balance_after, status, source,"
            " description, idempotency_key, request_fingerprint, created_at)"
            f" SELECT %s, r.member_id, %s, -({amount}), {balance_after}, %s, %s, %s,"
            f" 'expire:' || CAST(r.id AS VARCHAR(20)), '', r.expires_at FROM ({running}) r"
            f" WHERE ({amount}) > 0 ORDER BY r.member_id, r.expires_at, r.id",
            [
                program.pk,
                TransactionKind.EXPIRE,
                TransactionStatus.ACTIVE,
                TransactionSource.JOB,
                EXPIRED_DESCRIPTION,
                *lots_params,
            ],
        )
        written = cursor.rowcount
    _debit_members(due)
    due.update(remaining=0)
    _tell(program=program, expired=expiring, fact=lambda member_id: f"{member_id}:{as_of.date().isoformat()}", at=as_of)
    return written


def _tell(*, program: Program, expired: dict[int, int], fact, at: datetime) -> None:
    """An email to each member (once per fact) and a `points.expired` event to the merchant's endpoints."""
    notifications_create(
        program=program,
        kind=NotificationKind.POINTS_EXPIRED,
        facts=[
            (member_id, f"points_expired:{fact(member_id)}", {"points": points})
            for member_id, points in expired.items()
        ],
    )
    if not expired or not webhook_subscribed(program=program, event=WebhookEvent.POINTS_EXPIRED):
        return
    customers = dict(Member.objects.filter(pk__in=list(expired)).values_list("pk", "customer_id"))
    webhook_events_record(
        program=program,
        event=WebhookEvent.POINTS_EXPIRED,
        events=[
            (f"points.expired:{fact(member_id)}", {"customer_id": customers[member_id], "points": points})
            for member_id, points in expired.items()
        ],
        at=at,
    )


def _debit_members(due) -> None:
    """Each member's balance loses what its due lots hold, never more than the balance: one UPDATE … FROM."""
    totals_sql, totals_params = (
        due.order_by().values("member_id").annotate(total=Sum("remaining")).query.sql_with_params()
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE members_member SET points_balance = members_member.points_balance -"
            " (CASE WHEN a.total > members_member.points_balance THEN members_member.points_balance ELSE a.total END),"
            f" updated_at = %s FROM ({totals_sql}) AS a WHERE members_member.id = a.member_id",
            [now, *totals_params],
        )


@transaction.atomic
def _expire_inactive(*, program: Program, first: int, last: int, cutoff: datetime) -> int:
    inactive = Member.objects.filter(
        program_id=program.pk, pk__gte=first, pk__lte=last, points_balance__gt=0, last_activity_at__lte=cutoff
    )
    if not _lock_members(inactive.values("pk")):
        return 0
    members = list(inactive.order_by("pk").values_list("pk", "points_balance", "last_activity_at"))
    rows = []
    for member_id, balance, last_activity_at in members:
        deadline = last_activity_at + timedelta(days=program.expiry_days)
        rows.append(
            Transaction(
                program_id=program.pk,
                member_id=member_id,
                kind=TransactionKind.EXPIRE,
                points=-balance,
                balance_after=0,
                status=TransactionStatus.ACTIVE,
                source=TransactionSource.JOB,
                description=EXPIRED_DESCRIPTION,
                idempotency_key=f"expire:inactive:{member_id}:{deadline.date().isoformat()}",
                created_at=deadline,
            )
        )
    Transaction.objects.bulk_create(rows, batch_size=1000)
    inactive.filter(pk__in=[m[0] for m in members]).update(points_balance=0, updated_at=timezone.now())
    deadlines = {row.member_id: row.idempotency_key.removeprefix("expire:") for row in rows}
    expired = {row.member_id: -row.points for row in rows}
    _tell(program=program, expired=expired, fact=deadlines.__getitem__, at=cutoff + timedelta(days=program.expiry_days))
    return len(rows)


def send_expiry_warnings(as_of: datetime, *, chunk_size: int | None = None) -> int:
    """Queue a warning `expiry_warn_days_before` the points expire: once per member and expiry day of their lots
    (fixed; lots of one day are one fact) or once per inactivity deadline. Returns the warnings queued;
    a second run for the same `as_of` queues none (the notification keys are unique)."""
    if timezone.is_naive(as_of):
        as_of = as_of.replace(tzinfo=UTC)
    chunk_size = chunk_size or CHUNK_SIZE
    queued = 0
    programs = Program.objects.filter(expiry_days__gt=0, expiry_warn_days_before__gt=0).order_by("pk")
    for program in programs.filter(expiry_policy=ExpiryPolicy.FIXED):
        # Whole local days, so every lot of an expiry day is in the one warning about that day.
        tz = ZoneInfo(program.timezone)
        last_day = as_of.astimezone(tz).date() + timedelta(days=program.expiry_warn_days_before + 1)
        horizon = datetime.combine(last_day, datetime.min.time(), tzinfo=tz).astimezone(UTC)
        for first, last in member_id_ranges(program_id=program.pk, size=chunk_size):
            queued += _chunk_done(_warn_lots(program=program, first=first, last=last, as_of=as_of, horizon=horizon))
    for program in programs.filter(expiry_policy=ExpiryPolicy.INACTIVITY):
        for first, last in member_id_ranges(program_id=program.pk, size=chunk_size):
            queued += _chunk_done(_warn_inactive(program=program, first=first, last=last, as_of=as_of))
    logger.info("expiry warnings queued as_of=%s count=%s", as_of.isoformat(), queued)
    return queued


@transaction.atomic
def _warn_lots(*, program: Program, first: int, last: int, as_of: datetime, horizon: datetime) -> int:
    expiring = (
        Transaction.objects.filter(
            program_id=program.pk,
            member_id__gte=first,
            member_id__lte=last,
            status=TransactionStatus.ACTIVE,
            remaining__gt=0,
            expires_at__gt=as_of,
            expires_at__lt=horizon,
        )
        .annotate(day=TruncDate("expires_at", tzinfo=ZoneInfo(program.timezone)))
        .order_by()
        .values("member_id", "day")
        .annotate(points=Sum("remaining"))
        .values_list("member_id", "day", "points")
    )
    return notifications_create(
        program=program,
        kind=NotificationKind.EXPIRY_WARNING,
        facts=[
            (member_id, f"expiry_warning:{member_id}:{day.isoformat()}", {"points": points, "date": day.isoformat()})
            for member_id, day, points in expiring
        ],
    )


@transaction.atomic
def _warn_inactive(*, program: Program, first: int, last: int, as_of: datetime) -> int:
    # The deadline (last activity + expiry days) falls in (as_of, as_of + warn days].
    days, warn, tz = program.expiry_days, program.expiry_warn_days_before, ZoneInfo(program.timezone)
    members = Member.objects.filter(
        program_id=program.pk,
        pk__gte=first,
        pk__lte=last,
        points_balance__gt=0,
        last_activity_at__gt=as_of - timedelta(days=days),
        last_activity_at__lte=as_of - timedelta(days=days - warn),
    ).values_list("pk", "points_balance", "last_activity_at")
    facts = []
    for member_id, balance, last_activity_at in members:
        day = (last_activity_at + timedelta(days=days)).astimezone(tz).date().isoformat()
        facts.append((member_id, f"expiry_warning:inactive:{member_id}:{day}", {"points": balance, "date": day}))
    return notifications_create(program=program, kind=NotificationKind.EXPIRY_WARNING, facts=facts)
