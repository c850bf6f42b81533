"""Helpers of the tier tests: a tiered program and activity through the real order/event/refund services."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from loyalty.choices import RuleType
from members.models import Member
from members.services.events import event_record
from members.services.orders import order_record
from members.services.refunds import refund_record
from tests.factories import EarningRuleFactory, TierFactory

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


class Clock:
    now: datetime = T0


@pytest.fixture
def clock(monkeypatch):
    """The services' `timezone.now()`, set by hand: activity arrives when the helpers say it happens."""
    frozen = Clock()
    monkeypatch.setattr(timezone, "now", lambda: frozen.now)
    return frozen


@pytest.fixture
def tiered(program):
    """`tiered(metric, period, gold=300)`: Green (0, ×1), Gold (`gold`, ×1.25), invite-only Reserve (×1.5)."""

    def make(metric: str = "points_earned", period: str = "lifetime", gold="300"):
        program.tier_metric = metric
        program.tier_period = period
        program.save()
        TierFactory(program=program, key="green", name="Green", position=1, threshold=Decimal("0"))
        TierFactory(
            program=program, key="gold", name="Gold", position=2, threshold=Decimal(gold), multiplier=Decimal("1.25")
        )
        TierFactory(
            program=program,
            key="reserve",
            name="Reserve",
            position=3,
            threshold=None,
            invite_only=True,
            multiplier=Decimal("1.5"),
        )
        return program

    return make


@pytest.fixture
def order(program, clock):
    """`order(order_id, subtotal, at, customer_id="c1")` records a paid order placed (and arriving) at `at`."""

    def place(order_id: str, subtotal: str, at: datetime = T0, customer_id: str = "c1"):
        clock.now = at
        return order_record(
            program=program,
            order_id=order_id,
            customer_id=customer_id,
            email=f"{customer_id}@example.com",
            subtotal=Decimal(subtotal),
            currency="USD",
            placed_at=at,
        )

    return place


@pytest.fixture
def refund(program, clock):
    """`refund(order_id, refund_id, amount, at=None)`: a refund arriving at `at` (default: the clock as it is)."""

    def give_back(order_id: str, refund_id: str, amount: str, at: datetime | None = None):
        clock.now = at or clock.now
        return refund_record(program=program, order_id=order_id, refund_id=refund_id, amount=Decimal(amount))

    return give_back


@pytest.fixture
def review(program, clock):
    """`review(event_id, at, customer_id="c1")`: a `review_posted` event worth 100 points."""
    EarningRuleFactory(program=program, key="review", type=RuleType.CUSTOM_EVENT, event="review_posted", points=100)

    def post(event_id: str, at: datetime = T0, customer_id: str = "c1"):
        clock.now = at
        return event_record(
            program=program, event_id=event_id, customer_id=customer_id, type="review_posted", occurred_at=at
        )

    return post


def tier_key(customer_id: str = "c1") -> str | None:
    member = Member.objects.select_related("tier").get(customer_id=customer_id)
    return member.tier.key if member.tier else None
