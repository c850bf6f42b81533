"""Manual adjustments by the merchant (API or admin): credits and debits with a reason, idempotent by key."""

import hashlib
import json
import logging
import uuid

from django.db import IntegrityError, transaction

from loyalty.errors import IdempotencyConflict
from members.choices import TransactionKind, TransactionSource
from members.models import Member, Transaction
from members.services.ledger import member_lock, points_post, transaction_find

logger = logging.getLogger(__name__)


def points_adjust(
    *, member: Member, points: int, reason: str, idempotency_key: str | None = None, acting_user=None
) -> tuple[Transaction, bool]:
    """Credit or debit `points` (a debit past the balance raises InsufficientPoints). With an
    `idempotency_key`, a retry returns the first transaction; the key reused with another body
    raises IdempotencyConflict. Returns (transaction, created)."""
    fingerprint = hashlib.sha256(json.dumps([member.pk, points, reason]).encode()).hexdigest()
    key = f"adjust:{idempotency_key or uuid.uuid4().hex}"
    try:
        with transaction.atomic():
            locked = member_lock(member.pk)
            row = points_post(
                member=locked,
                points=points,
                kind=TransactionKind.ADJUST,
                source=TransactionSource.ADJUSTMENT,
                idempotency_key=key,
                description=reason,
                acting_user=acting_user,
                request_fingerprint=fingerprint,
            )
    except IntegrityError:
        row = transaction_find(program_id=member.program_id, idempotency_key=key)
        if row is None:
            raise
        if row.request_fingerprint != fingerprint:
            raise IdempotencyConflict("This Idempotency-Key was already used with another request.") from None
        return row, False
    logger.info(
        "points adjusted program_id=%s customer_id=%s points=%+d by=%s reason=%r",
        member.program_id,
        member.customer_id,
        points,
        acting_user or "api",
        reason,
    )
    return row, True
