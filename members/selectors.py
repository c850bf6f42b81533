"""Reads of members and their ledger, always scoped to one program."""

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from loyalty.choices import ExpiryPolicy
from loyalty.errors import NotFound
from loyalty.models import Program
from members.choices import TransactionStatus
from members.models import Member, Transaction


def member_get(*, program: Program, customer_id: str) -> Member:
    """The program's member with this `customer_id` (tier loaded), or NotFound `member_not_found`:
    another program's member is indistinguishable from one that does not exist."""
    member = Member.objects.select_related("tier").filter(program=program, customer_id=customer_id).first()
    if member is None:
        raise member_not_found(customer_id)
    return member


def member_not_found(customer_id: str) -> NotFound:
    return NotFound(f"No member with customer_id {customer_id!r}.", code="member_not_found")


def transaction_list(*, member: Member) -> QuerySet[Transaction]:
    """The member's ledger rows; callers order and paginate (newest first by id)."""
    return Transaction.objects.filter(member=member)


def member_next_expiry(*, member: Member, at: datetime | None = None) -> dict | None:
    """`{points, at}` of the next points to expire, or None. `fixed`: the oldest lot still holding points
    (one query); `inactivity`: the whole balance at last activity + the days (no query); `never`: None."""
    lot = member_next_lot(member=member, at=at or timezone.now()) if next_lot_needed(member) else None
    return next_expiry_of(member=member, lot=lot)


def next_lot_needed(member: Member) -> bool:
    """Whether the member's next expiry depends on their oldest lot (`fixed` policy with points to expire)."""
    program = member.program
    return program.expiry_policy == ExpiryPolicy.FIXED and bool(program.expiry_days) and member.points_balance > 0


def member_next_lot(*, member: Member, at: datetime) -> tuple[int, datetime] | None:
    """`(remaining, expires_at)` of the member's lot that expires first after `at` (the order path reads the
    same row inside its write statement: members/services/order_sql.py)."""
    return (
        Transaction.objects.filter(member=member, status=TransactionStatus.ACTIVE, remaining__gt=0, expires_at__gt=at)
        .order_by("expires_at", "id")
        .values_list("remaining", "expires_at")
        .first()
    )


def next_expiry_of(*, member: Member, lot: tuple[int, datetime] | None) -> dict | None:
    """`member_next_expiry` with the member's next lot already read (`member_next_lot`; None: no lot); no query."""
    program = member.program
    if not program.expiry_days or member.points_balance <= 0:
        return None
    if program.expiry_policy == ExpiryPolicy.INACTIVITY:
        return {"points": member.points_balance, "at": member.last_activity_at + timedelta(days=program.expiry_days)}
    if program.expiry_policy != ExpiryPolicy.FIXED or lot is None:
        return None
    return {"points": min(lot[0], member.points_balance), "at": lot[1]}
