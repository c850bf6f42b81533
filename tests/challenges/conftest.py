"""Helpers of the challenge tests: members, orders and events through the real services (the orchestrators)."""

from datetime import datetime
from decimal import Decimal

import pytest

from members.services.events import event_record
from members.services.members import member_upsert
from referrals.services.flows import order_paid


@pytest.fixture
def join(program):
    def make(customer_id: str = "c1", **kwargs):
        kwargs.setdefault("email", f"{customer_id}@example.com")
        return member_upsert(program=program, customer_id=customer_id, **kwargs)[0]

    return make


@pytest.fixture
def pay(program):
    """`pay(order_id, subtotal, placed_at=None, customer_id="c1")`: a paid order through `order_paid`."""

    def place(order_id: str, subtotal: str = "10", placed_at: datetime | None = None, customer_id: str = "c1"):
        return order_paid(
            program=program,
            order_id=order_id,
            customer_id=customer_id,
            email=f"{customer_id}@example.com",
            subtotal=Decimal(subtotal),
            currency="USD",
            placed_at=placed_at,
        )

    return place


@pytest.fixture
def happen(program):
    """`happen(event_id, type, occurred_at=None, customer_id="c1")`: an event through `event_record`."""

    def record(event_id: str, type: str, occurred_at: datetime | None = None, customer_id: str = "c1"):
        return event_record(
            program=program, event_id=event_id, customer_id=customer_id, type=type, occurred_at=occurred_at
        )

    return record
