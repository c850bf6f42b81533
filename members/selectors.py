"""Reads of members and their ledger, always scoped to one program."""

from django.db.models import QuerySet

from loyalty.errors import NotFound
from loyalty.models import Program
from members.models import Member, Transaction


def member_get(*, program: Program, customer_id: str) -> Member:
    """The program's member with this `customer_id` (tier loaded), or NotFound `member_not_found`:
    another program's member is indistinguishable from one that does not exist."""
    member = Member.objects.select_related("tier").filter(program=program, customer_id=customer_id).first()
    if member is None:
        raise NotFound(f"No member with customer_id {customer_id!r}.", code="member_not_found")
    return member


def transaction_list(*, member: Member) -> QuerySet[Transaction]:
    """The member's ledger rows; callers order and paginate (newest first by id)."""
    return Transaction.objects.filter(member=member)
