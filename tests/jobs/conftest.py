"""Helpers of the job tests: members and points through the real services, at chosen times."""

from datetime import UTC, datetime

import pytest
from django.db import transaction

from loyalty.choices import ExpiryPolicy
from members.choices import TransactionKind, TransactionSource
from members.services.ledger import member_lock, points_post
from members.services.members import member_upsert

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def fixed_program(program):
    program.expiry_policy = ExpiryPolicy.FIXED
    program.expiry_days = 30
    program.expiry_warn_days_before = 7
    program.save()
    return program


@pytest.fixture
def inactivity_program(program):
    program.expiry_policy = ExpiryPolicy.INACTIVITY
    program.expiry_days = 365
    program.expiry_warn_days_before = 30
    program.save()
    return program


@pytest.fixture
def make_member():
    def make(program, customer_id: str, **profile):
        profile.setdefault("email", f"{customer_id}@example.com")
        member, _ = member_upsert(program=program, customer_id=customer_id, **profile)
        return member

    return make


def post(member, points: int, at: datetime, key: str, kind: str = TransactionKind.EARN):
    """Credit or debit `points` at `at` through the ledger service (a credit is a lot under `fixed`)."""
    source = TransactionSource.ADJUSTMENT
    with transaction.atomic():
        locked = member_lock(member.pk)
        return points_post(member=locked, points=points, kind=kind, source=source, idempotency_key=key, at=at)
