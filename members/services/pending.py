"""The `activate_pending_points` job: pending points whose time has come become spendable.

Set-based: members with due rows are taken in primary-key chunks; per chunk, one transaction locks the
members (in PK order, like every other writer) and a handful of UPDATE statements move rows and cached
counters together, so `ledger_verify` holds after every chunk. An order's earn row and the pending refund
rows that reduce it share their `activates_at` and their member, so they always activate together and a
member's net activation is never negative.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Case, F, Max, QuerySet, Sum, When, Window
from django.utils import timezone

from loyalty.choices import ExpiryPolicy
from loyalty.models import Program
from members.choices import EARNING_KINDS, PointsStatus, TransactionStatus
from members.models import Member, Order, Transaction
from members.services.tiers import tiers_upgrade_members

logger = logging.getLogger(__name__)

CHUNK_SIZE = 500


def activate_pending_points(as_of: datetime, *, chunk_size: int = CHUNK_SIZE) -> int:
    """Activate every pending row with `activates_at <= as_of`. Returns the number of rows activated;
    running it again for the same `as_of` activates nothing."""
    if timezone.is_naive(as_of):
        as_of = as_of.replace(tzinfo=UTC)
    rows = members = chunks = 0
    after = 0
    while True:
        member_ids = list(
            _due(as_of)
            .filter(member_id__gt=after)
            .order_by("member_id")
            .values_list("member_id", flat=True)
            .distinct()[:chunk_size]
        )
        if not member_ids:
            break
        rows += _activate_chunk(member_ids=member_ids, as_of=as_of)
        members += len(member_ids)
        chunks += 1
        after = member_ids[-1]
    logger.info(
        "pending points activated as_of=%s rows=%s members=%s chunks=%s", as_of.isoformat(), rows, members, chunks
    )
    return rows


def _due(as_of: datetime) -> QuerySet[Transaction]:
    return Transaction.objects.filter(status=TransactionStatus.PENDING, activates_at__lte=as_of)


@transaction.atomic
def _activate_chunk(*, member_ids: list[int], as_of: datetime) -> int:
    # Lock first, in PK order; everything below re-reads the due rows under the lock, so rows voided or
    # added by a refund that committed meanwhile are seen as they are now.
    list(Member.objects.select_for_update().filter(pk__in=member_ids).order_by("pk").values_list("pk", flat=True))
    # The chunk is a run of consecutive members with due rows: a PK range selects the same rows as the id list
    # and lets the database walk the member index instead of every due row of the whole backlog.
    due = _due(as_of).filter(member_id__gte=member_ids[0], member_id__lte=member_ids[-1])

    # 1. balance_after: the member's balance before this run plus the running sum of its due rows, in id order.
    running = due.annotate(running=Window(Sum("points"), partition_by=[F("member_id")], order_by=F("pk").asc())).values(
        "pk", "member_id", "running"
    )
    _update_from(
        Transaction,
        set_sql="balance_after = m.points_balance + r.running",
        source=running,
        alias="r",
        where_sql="members_transaction.id = r.pk AND m.id = r.member_id",
        extra_from="members_member AS m",
    )

    # 2. With the `fixed` expiry policy an activated credit becomes a lot, net of the pending refunds of its order.
    _make_lots(due=due)

    # 3. The members' cached counters move by the net of their due rows.
    totals = (
        due.order_by()
        .values("member_id")
        .annotate(
            net=Sum("points"),
            earned=Sum(Case(When(kind__in=EARNING_KINDS, then="points"), default=0)),
            latest=Max("activates_at"),
        )
    )
    _update_from(
        Member,
        set_sql=(
            "points_balance = members_member.points_balance + a.net,"
            " pending_points = members_member.pending_points - a.net,"
            " lifetime_points = members_member.lifetime_points + a.earned,"
            " last_activity_at = CASE WHEN a.latest > members_member.last_activity_at"
            " THEN a.latest ELSE members_member.last_activity_at END,"
            " updated_at = %s"
        ),
        set_params=[_db_datetime(timezone.now())],
        source=totals,
        alias="a",
        where_sql="members_member.id = a.member_id",
    )

    # 4. Their orders' points are active now.
    Order.objects.filter(pk__in=due.filter(order__isnull=False).values("order_id")).filter(
        points_status=PointsStatus.PENDING
    ).update(points_status=PointsStatus.ACTIVE)

    # 5. The rows themselves (every statement above selects them by their pending status).
    activated = due.update(status=TransactionStatus.ACTIVE)

    # 6. Points that became active count for tiers: upgrade whoever now reaches a higher one.
    tiers_upgrade_members(member_ids=member_ids, at=as_of)
    return activated


def _make_lots(*, due: QuerySet[Transaction]) -> None:
    """Lots expire `expiry_days` after they became spendable (their `activates_at`, not the job's clock,
    so a late run gives the same dates). Per program with the fixed policy in this chunk: one UPDATE makes
    the credits lots, a second takes the order's pending refunds off them."""
    programs = Program.objects.filter(
        pk__in=due.values("program_id"), expiry_policy=ExpiryPolicy.FIXED, expiry_days__gt=0
    ).values_list("pk", "expiry_days")
    for program_id, days in programs:
        credits = due.filter(program_id=program_id, points__gt=0)
        credits.update(expires_at=F("activates_at") + timedelta(days=days), remaining=F("points"))
        refunds = (
            due.filter(program_id=program_id, points__lt=0, order__isnull=False)
            .order_by()
            .values("order_id")
            .annotate(refunded=Sum("points"))
        )
        credit_sql, credit_params = credits.values("pk").query.sql_with_params()
        _update_from(
            Transaction,
            set_sql="remaining = members_transaction.remaining + f.refunded",
            source=refunds,
            alias="f",
            where_sql=f"members_transaction.order_id = f.order_id AND members_transaction.id IN ({credit_sql})",
            where_params=list(credit_params),
        )


def _update_from(
    model,
    *,
    set_sql: str,
    source: QuerySet,
    alias: str,
    where_sql: str,
    set_params: list | None = None,
    where_params: list | None = None,
    extra_from: str = "",
) -> None:
    """`UPDATE model's table SET … FROM (source) AS alias … WHERE …`: one statement joining an aggregate, in the
    syntax PostgreSQL and SQLite ≥ 3.33 share. Correlated subqueries per row would scan the due rows once
    per row (quadratic); the join reads them once. The source's SQL and parameters come from the ORM,
    so values are adapted for the backend as in any query."""
    source_sql, source_params = source.query.sql_with_params()
    from_sql = f"({source_sql}) AS {alias}" + (f", {extra_from}" if extra_from else "")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} SET {set_sql} FROM {from_sql} WHERE {where_sql}",
            [*(set_params or []), *source_params, *(where_params or [])],
        )


def _db_datetime(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)
