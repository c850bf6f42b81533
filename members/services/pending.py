"""The `activate_pending_points` job: pending points whose time has come become spendable.

Set-based: members with due rows are taken in primary-key chunks; per chunk, one transaction locks the
members (in PK order, like every other writer) and a handful of UPDATE statements move rows and cached
counters together, so `ledger_verify` holds after every chunk. An order's earn row and the pending refund
rows that reduce it share their `activates_at` and their member, so they always activate together and a
member's net activation is never negative.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import F, IntegerField, Max, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
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


def _per_member(rows: QuerySet[Transaction], aggregate) -> Subquery:
    """One aggregate of `rows` for the member of the outer row (a correlated subquery, NULL without rows)."""
    return Subquery(rows.order_by().values("member_id").annotate(value=aggregate).values("value")[:1])


@transaction.atomic
def _activate_chunk(*, member_ids: list[int], as_of: datetime) -> int:
    # Lock first, in PK order; everything below re-reads the due rows under the lock, so rows voided or
    # added by a refund that committed meanwhile are seen as they are now.
    list(Member.objects.select_for_update().filter(pk__in=member_ids).order_by("pk").values_list("pk", flat=True))
    due = _due(as_of).filter(member_id__in=member_ids)

    # 1. balance_after: the member's balance before this run plus the running sum of its due rows, in id order.
    #    Runs before anything else changes, and only writes a column it does not read.
    balance_before = Subquery(Member.objects.filter(pk=OuterRef("member_id")).values("points_balance")[:1])
    running = _per_member(_due(as_of).filter(member_id=OuterRef("member_id"), pk__lte=OuterRef("pk")), Sum("points"))
    due.update(balance_after=balance_before + running)

    # 2. With the `fixed` expiry policy an activated credit becomes a lot, net of the pending refunds of its order.
    _make_lots(due=due, as_of=as_of)

    # 3. The members' cached counters move by the net of their due rows.
    member_rows = _due(as_of).filter(member_id=OuterRef("pk"))
    net = Coalesce(_per_member(member_rows, Sum("points")), Value(0), output_field=IntegerField())
    earned = Coalesce(
        _per_member(member_rows.filter(kind__in=EARNING_KINDS), Sum("points")), Value(0), output_field=IntegerField()
    )
    latest = Coalesce(_per_member(member_rows, Max("activates_at")), F("last_activity_at"))
    Member.objects.filter(pk__in=member_ids).update(
        points_balance=F("points_balance") + net,
        pending_points=F("pending_points") - net,
        lifetime_points=F("lifetime_points") + earned,
        last_activity_at=Greatest(F("last_activity_at"), latest),
        updated_at=timezone.now(),
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


def _make_lots(*, due: QuerySet[Transaction], as_of: datetime) -> None:
    """Lots expire `expiry_days` after they became spendable (their `activates_at`, not the job's clock,
    so a late run gives the same dates). One UPDATE per program with the fixed policy in this chunk."""
    programs = Program.objects.filter(
        pk__in=due.values("program_id"), expiry_policy=ExpiryPolicy.FIXED, expiry_days__gt=0
    ).values_list("pk", "expiry_days")
    refunds_of_order = (
        _due(as_of)
        .filter(order_id=OuterRef("order_id"), points__lt=0)
        .order_by()
        .values("order_id")
        .annotate(value=Sum("points"))
        .values("value")[:1]
    )
    for program_id, days in programs:
        due.filter(program_id=program_id, points__gt=0).update(
            expires_at=F("activates_at") + timedelta(days=days),
            remaining=F("points") + Coalesce(Subquery(refunds_of_order), Value(0), output_field=IntegerField()),
        )
