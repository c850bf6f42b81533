"""Manual adjustments by the merchant (API or admin): credits and debits with a reason, idempotent by key."""

import hashlib
import json
import logging
import uuid

from django.db import IntegrityError, transaction

from loyalty.errors import IdempotencyConflict, ValidationFailed
from members.choices import TransactionKind, TransactionSource
from members.models import Member, Transaction
from members.services.inputs import id_clean
from members.services.ledger import member_lock, points_post, transaction_find

logger = logging.getLogger(__name__)


def points_adjust(
    *, member: Member, points: int, reason: str, idempotency_key: str | None = None, acting_user=None
) -> tuple[Transaction, bool]:
    """Credit or debit `points` (a debit past the balance raises InsufficientPoints). With an
    `idempotency_key`, a retry returns the first transaction; the key reused with another body
    raises IdempotencyConflict. Returns (transaction, created)."""
    if isinstance(points, bool) or not isinstance(points, int) or points == 0:
        raise ValidationFailed("points: must be a whole number other than 0.", fields={"points": ["Not 0."]})
    if idempotency_key is not None:
        idempotency_key = id_clean(idempotency_key, field="idempotency_key")
    fingerprint = hashlib.sha256(json.dumps([member.pk, points, reason]).encode()).hexdigest()
    key = f"adjust:{idempotency_key or uuid.uuid4().hex}"
    # A retry must get the first answer even when it could no longer be applied (a debit that emptied the
    # balance): look for it first. The unique key still decides between concurrent first attempts.
    first = transaction_find(program_id=member.program_id, idempotency_key=key)
    if first is not None:
        return _replay(first, fingerprint=fingerprint), False
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
        return _replay(row, fingerprint=fingerprint), False
    logger.info(
        "points adjusted program_id=%s customer_id=%s points=%+d by=%s reason=%r",
        member.program_id,
        member.customer_id,
        points,
        acting_user or "api",
        reason,
    )
    return row, True


def _replay(row: Transaction, *, fingerprint: str) -> Transaction:
    if row.request_fingerprint != fingerprint:
        raise IdempotencyConflict("This Idempotency-Key was already used with another request.")
    return row
