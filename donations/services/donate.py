"""A member gives points to a cause: one ledger debit of kind `donate` (through `points_post`, under the
member lock) and its `Donation` row, in one transaction. The balance check happens under the lock, so
concurrent donations never overdraw; the idempotency key makes a double submit one donation."""

import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from donations.models import Cause, Donation
from loyalty.errors import IdempotencyConflict, NotFound, ValidationFailed
from loyalty.models import Program
from members.choices import TransactionKind, TransactionSource
from members.models import Member
from members.services.ledger import member_lock, points_post

logger = logging.getLogger(__name__)

CENTS = Decimal("0.01")


@dataclass(frozen=True)
class DonationResult:
    donation: Donation
    created: bool


def cause_get(*, program: Program, cause_id: int) -> Cause:
    """An active cause of the program, or `404 cause_not_found`."""
    cause = Cause.objects.filter(program=program, pk=cause_id, active=True).first()
    if cause is None:
        raise NotFound("No such cause.", code="cause_not_found")
    return cause


def donation_value(*, program: Program, points: int) -> Decimal:
    """What `points` are worth in money at the program's point value now (0 when the program sets none)."""
    return (Decimal(points) * (program.point_value or 0)).quantize(CENTS, rounding=ROUND_HALF_UP)


def points_donate(*, member: Member, cause: Cause, points: int, idempotency_key: str) -> DonationResult:
    """Debit `points` from the member and record them for `cause`. Refusals write nothing:
    `invalid_points` (not an integer within the cause's min and max), `insufficient_points` (409),
    `idempotency_conflict` (the key already gave another amount or to another cause)."""
    if cause.program_id != member.program_id:
        raise NotFound("No such cause.", code="cause_not_found")
    _check_amount(cause=cause, points=points)
    key = f"donation:{idempotency_key}"
    first = _replay(member=member, key=key, cause=cause, points=points)
    if first:
        return first
    at = timezone.now()
    try:
        with transaction.atomic():
            locked = member_lock(member.pk)
            row = points_post(
                member=locked,
                points=-points,
                kind=TransactionKind.DONATE,
                source=TransactionSource.DONATION,
                idempotency_key=key,
                description=f"Donation to {cause.name}",
                at=at,
            )
            donation = Donation.objects.create(
                program_id=member.program_id,
                member=locked,
                cause=cause,
                points=points,
                value=donation_value(program=locked.program, points=points),
                transaction=row,
                idempotency_key=key,
                created_at=at,
            )
    except IntegrityError:
        first = _replay(member=member, key=key, cause=cause, points=points)
        if first is None:
            raise
        return first
    member.points_balance = locked.points_balance
    logger.info(
        "points donated program=%s member_id=%s cause=%s points=%s", member.program_id, member.pk, cause.pk, points
    )
    return DonationResult(donation=donation, created=True)


def _check_amount(*, cause: Cause, points: int) -> None:
    if isinstance(points, bool) or not isinstance(points, int) or points < cause.min_points:
        raise ValidationFailed(
            f"Give at least {cause.min_points} points.", code="invalid_points", fields={"points": ["Too few."]}
        )
    if cause.max_points is not None and points > cause.max_points:
        raise ValidationFailed(
            f"Give at most {cause.max_points} points at a time.",
            code="invalid_points",
            fields={"points": ["Too many."]},
        )


def _replay(*, member: Member, key: str, cause: Cause, points: int) -> DonationResult | None:
    first = Donation.objects.filter(program_id=member.program_id, idempotency_key=key).first()
    if first is None:
        return None
    if (first.member_id, first.cause_id, first.points) != (member.pk, cause.pk, points):
        raise IdempotencyConflict("This donation key was already used for another donation.")
    return DonationResult(donation=first, created=False)
