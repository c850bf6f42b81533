"""THE writer of points. Every change of a balance goes through `points_post` (or `credits_post`, the same for
many credits at once: a batch of orders), inside a transaction, with the member row locked (`member_lock`), in
the same transaction as its ledger row.

Invariants (checked by `ledger_verify` and the property-based tests):
- points_balance == sum(points of active rows) ≥ 0
- pending_points == sum(points of pending rows) ≥ 0
- lifetime_points == sum(points of active rows of an earning kind)
- one row per (program, idempotency_key): retries hit the unique constraint, never double-count.

The exceptions to "only `points_post` writes points", each keeping these invariants the same way (member rows locked,
ledger rows and cached counters moved in one transaction):
- the scheduled jobs in `members/services/` that write the ledger set-based (`pending.py`, `expiry.py`,
  `birthdays.py`): per chunk of members, one transaction locks them in PK order;
- the two hottest paths on PostgreSQL, as hand-written SQL because building their statements through the ORM cost
  more than running them: an order (`order_sql.order_write`: the order, its ledger row from `points_row` and the
  member's counters in one `WITH` statement, the member locked by `order_sql.member_locked`) and a new member with
  its sign-up points (`member_sql`: one `WITH` statement inserting the member row, which nothing else can see
  before the commit). SQLite takes `points_post`'s path; the suite runs on both.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from loyalty.choices import ExpiryPolicy
from loyalty.errors import InsufficientPoints, ValidationFailed
from members.choices import EARNING_KINDS, TransactionStatus
from members.models import Member, Transaction
from members.services.bulk_sql import rows_insert, rows_update, unsaved
from members.webhooks.events import points_rows_announce

# Points columns are 32-bit integers in the database: a total past this would be a DataError (a 500).
POINTS_LIMIT = 2_147_483_647


def member_lock(member_id: int) -> Member:
    """Lock a member row for the rest of the current transaction (a no-op lock on SQLite,
    which serialises writers anyway). Lock several members in primary-key order."""
    assert transaction.get_connection().in_atomic_block, "member_lock needs transaction.atomic()"
    return Member.objects.select_for_update(of=("self",)).select_related("program", "tier").get(pk=member_id)


def points_post(
    *,
    member: Member,
    points: int,
    kind: str,
    source: str,
    idempotency_key: str,
    description: str = "",
    pending_until: datetime | None = None,
    allow_partial: bool = False,
    order=None,
    event=None,
    acting_user=None,
    request_fingerprint: str = "",
    at: datetime | None = None,
    member_fields: tuple[str, ...] = (),
) -> Transaction | None:
    """Append one ledger row and move the member's cached counters with it.

    `member` must come from `member_lock` in the current transaction. A debit larger than the balance
    raises `InsufficientPoints`, unless `allow_partial`, where it is cut to the balance (refunds of points
    already spent; nothing is written and None returned when the balance is 0). A credit with `pending_until` stays pending until then. A duplicate
    `idempotency_key` raises IntegrityError from the database: callers turn it into "the first answer".
    `member_fields`: other member columns the caller changed on the locked `member` (an order's spend and count),
    written by the same UPDATE as the balances.
    """
    assert points != 0
    at = at or timezone.now()
    status = TransactionStatus.PENDING if pending_until else TransactionStatus.ACTIVE
    if status == TransactionStatus.ACTIVE and points < 0 and -points > member.points_balance:
        if not allow_partial:
            raise InsufficientPoints(balance=member.points_balance, requested=-points)
        points = -member.points_balance
        if points == 0:
            return None
    points_check_within_limit(member=member, points=points, pending=status == TransactionStatus.PENDING, kind=kind)
    row = points_row(
        member=member,
        points=points,
        kind=kind,
        source=source,
        idempotency_key=idempotency_key,
        description=description,
        pending_until=pending_until,
        order=order,
        event=event,
        acting_user=acting_user,
        request_fingerprint=request_fingerprint,
        at=at,
    )
    row.save(force_insert=True)
    member_save(member, *POSTED_MEMBER_FIELDS, *member_fields, at=at)
    points_rows_announce([row])
    return row


# The member columns a ledger post moves (written with `updated_at` in the same UPDATE).
POSTED_MEMBER_FIELDS = ("points_balance", "pending_points", "lifetime_points", "last_activity_at")


def points_row(
    *,
    member: Member,
    points: int,
    kind: str,
    source: str,
    idempotency_key: str,
    at: datetime,
    description: str = "",
    pending_until: datetime | None = None,
    order=None,
    event=None,
    acting_user=None,
    request_fingerprint: str = "",
) -> Transaction:
    """The unsaved ledger row of a checked post, and the locked `member`'s counters moved with it: the caller
    writes both (`points_post`; the order path in one statement). A debit also spends the oldest lots here
    (one UPDATE per lot under the `fixed` expiry policy); a credit opens its lot on the row (no query)."""
    status = TransactionStatus.PENDING if pending_until else TransactionStatus.ACTIVE
    row = unsaved(  # Transaction(...) without Model.__init__'s work per field
        Transaction,
        related={"member": member, "order": order, "event": event, "acting_user": acting_user},
        program_id=member.program_id,
        kind=kind,
        points=points,
        status=status,
        source=source,
        description=description[:255],
        idempotency_key=idempotency_key,
        request_fingerprint=request_fingerprint,
        created_at=at,
        activates_at=pending_until,
    )
    if status == TransactionStatus.PENDING:
        member.pending_points += points
    else:
        member.points_balance += points
        if kind in EARNING_KINDS:
            member.lifetime_points += points
        member.last_activity_at = at
        _track_lots(member=member, row=row, at=at)
    row.balance_after = member.points_balance
    return row


@dataclass
class Credit:
    """One credit of `credits_post`: what `points_post` takes for a credit, `member` locked by the caller."""

    member: Member
    points: int
    kind: str
    source: str
    idempotency_key: str
    description: str = ""
    pending_until: datetime | None = None
    order: object = None


def credits_post(credits: list[Credit], *, member_fields: tuple[str, ...] = (), at: datetime | None = None) -> None:
    """`points_post` for many credits at once (a batch of orders): the ledger rows in one INSERT and each member's
    counters (and `member_fields`) in one UPDATE for all the members. Every member must be locked by the caller in
    this transaction, and each credit checked with `points_check_within_limit` against the member as the earlier
    credits leave it. A member's credits apply in the order given, so `balance_after` runs as one by one would.
    A duplicate `idempotency_key` raises IntegrityError and writes nothing (the caller's transaction rolls back)."""
    at = at or timezone.now()
    rows = []
    for credit in credits:
        assert credit.points > 0
        member = credit.member
        row = unsaved(
            Transaction,
            related={"member": member, "order": credit.order},
            program_id=member.program_id,
            kind=credit.kind,
            points=credit.points,
            status=TransactionStatus.PENDING if credit.pending_until else TransactionStatus.ACTIVE,
            source=credit.source,
            description=credit.description[:255],
            idempotency_key=credit.idempotency_key,
            created_at=at,
            activates_at=credit.pending_until,
        )
        if credit.pending_until:
            member.pending_points += credit.points
        else:
            member.points_balance += credit.points
            if credit.kind in EARNING_KINDS:
                member.lifetime_points += credit.points
            member.last_activity_at = at
            _lot_open(program=member.program, row=row, at=at)
        row.balance_after = member.points_balance
        rows.append(row)
    rows_insert(Transaction, rows)
    members = list({credit.member.pk: credit.member for credit in credits}.values())
    members_save(
        members, "points_balance", "pending_points", "lifetime_points", "last_activity_at", *member_fields, at=at
    )
    points_rows_announce(rows)  # one delivery INSERT per event, not one per row


def members_save(members: list[Member], *fields: str, at: datetime | None = None) -> None:
    """`member_save` for many locked members: one UPDATE for all of them, each to its own values (`rows_update`:
    one array per column on PostgreSQL)."""
    if not members:
        return
    at = at or timezone.now()
    for member in members:
        member.updated_at = at
    rows_update(Member, members, [*dict.fromkeys((*fields, "updated_at"))])


def member_save(member: Member, *fields: str, at: datetime | None = None) -> None:
    """Write `fields` of the locked `member` (and `updated_at`) in one UPDATE."""
    member.updated_at = at or timezone.now()
    Member.objects.filter(pk=member.pk).update(**{name: getattr(member, name) for name in (*fields, "updated_at")})


def points_check_within_limit(*, member: Member, points: int, pending: bool, kind: str) -> None:
    """`400 points_limit_exceeded` before anything is written (an order checks before inserting itself)."""
    totals = [member.pending_points + points] if pending else [member.points_balance + points]
    if not pending and kind in EARNING_KINDS:
        totals.append(member.lifetime_points + points)
    if any(abs(total) > POINTS_LIMIT for total in totals):
        raise ValidationFailed(
            f"This would take the member past {POINTS_LIMIT} points, the most the ledger holds.",
            code="points_limit_exceeded",
        )


LOTS_PER_READ = 100  # lots a debit reads at a time (`_track_lots`)


def _track_lots(*, member: Member, row: Transaction, at: datetime) -> None:
    """With the `fixed` expiry policy every credit is a lot that expires `expiry_days` after it was
    earned, and debits spend the oldest lots first."""
    program = member.program
    if program.expiry_policy != ExpiryPolicy.FIXED or not program.expiry_days:
        return
    if row.points > 0:
        _lot_open(program=program, row=row, at=at)
        return
    to_spend = -row.points
    lots = Transaction.objects.filter(member=member, remaining__gt=0).order_by("expires_at", "id").only("remaining")
    # Oldest first, LOTS_PER_READ at a time: a lot spent whole leaves the filter, so each read starts where the last
    # one ended (plain reads: `iterator()` would take a server-side cursor, three round trips for the usual one lot).
    while to_spend:
        batch = list(lots[:LOTS_PER_READ])
        for lot in batch:
            spent = min(lot.remaining, to_spend)
            Transaction.objects.filter(pk=lot.pk).update(remaining=F("remaining") - spent)
            to_spend -= spent
            if to_spend == 0:
                break
        if len(batch) < LOTS_PER_READ:
            break  # no lot left (the balance check keeps this from happening with points to spend)


def _lot_open(*, program, row: Transaction, at: datetime) -> None:
    """A credit under the `fixed` expiry policy is a lot that expires `expiry_days` after it was earned."""
    if program.expiry_policy == ExpiryPolicy.FIXED and program.expiry_days:
        row.expires_at = at + timedelta(days=program.expiry_days)
        row.remaining = row.points


def transaction_find(*, program_id: int, idempotency_key: str) -> Transaction | None:
    return Transaction.objects.filter(program_id=program_id, idempotency_key=idempotency_key).first()


@dataclass(frozen=True)
class LedgerMismatch:
    member_id: int
    customer_id: str
    field: str
    cached: int
    ledger: int


def ledger_verify(*, program_id: int | None = None) -> list[LedgerMismatch]:
    """Recompute every member's balance, pending points and lifetime points from the ledger rows
    (one aggregate query) and list every member whose cached values differ."""
    members = Member.objects.all()
    if program_id is not None:
        members = members.filter(program_id=program_id)
    active = Q(transactions__status=TransactionStatus.ACTIVE)
    members = members.annotate(
        ledger_balance=Sum("transactions__points", filter=active, default=0),
        ledger_pending=Sum("transactions__points", filter=Q(transactions__status=TransactionStatus.PENDING), default=0),
        ledger_lifetime=Sum("transactions__points", filter=active & Q(transactions__kind__in=EARNING_KINDS), default=0),
    ).values_list(
        "id",
        "customer_id",
        "points_balance",
        "ledger_balance",
        "pending_points",
        "ledger_pending",
        "lifetime_points",
        "ledger_lifetime",
    )
    mismatches = []
    for member_id, customer_id, balance, l_balance, pending, l_pending, lifetime, l_lifetime in members.iterator():
        for field, cached, ledger in (
            ("points_balance", balance, l_balance),
            ("pending_points", pending, l_pending),
            ("lifetime_points", lifetime, l_lifetime),
        ):
            if cached != ledger or (cached < 0 and field != "lifetime_points"):
                mismatches.append(LedgerMismatch(member_id, customer_id, field, cached, ledger))
    return mismatches
