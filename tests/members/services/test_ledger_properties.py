"""Property-based: whatever members do, in whatever order, the ledger invariants hold after every step.

The example count is bounded by a settings profile so CI runs it in seconds; set
LEDGER_HYPOTHESIS_PROFILE=ledger-thorough for a long local run."""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F, Q, Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from loyalty.choices import ExpiryPolicy, RuleType
from loyalty.errors import InsufficientPoints, ValidationFailed
from members.choices import TransactionStatus
from members.models import Member, Order, Transaction
from members.services.adjustments import points_adjust
from members.services.events import event_record
from members.services.ledger import ledger_verify
from members.services.members import member_upsert
from members.services.orders import order_record
from members.services.pending import activate_pending_points
from members.services.refunds import refund_record
from tests.factories import EarningRuleFactory, ProgramFactory

settings.register_profile(
    "ledger-ci", max_examples=12, stateful_step_count=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ledger-thorough",
    max_examples=500,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

CUSTOMERS = ("alice", "bob")
money = st.integers(min_value=1, max_value=50_000).map(lambda cents: Decimal(cents) / 100)


class LedgerMachine(RuleBasedStateMachine):
    """Each example is a fresh program, so examples sharing the test's transaction never see each other."""

    def __init__(self):
        super().__init__()
        self.orders: list[str] = []
        self.refunds: list[tuple[str, str, Decimal]] = []
        self.counter = 0

    @initialize(
        rate=st.sampled_from(["0.1", "1", "1.25", "3.3333"]),
        pending=st.booleans(),
        fixed_expiry=st.booleans(),
    )
    def setup(self, rate, pending, fixed_expiry):
        self.program = ProgramFactory(
            points_per_currency_unit=Decimal(rate),
            pending_days=14 if pending else 0,
            expiry_policy=ExpiryPolicy.FIXED if fixed_expiry else ExpiryPolicy.NEVER,
            expiry_days=90 if fixed_expiry else None,
        )
        EarningRuleFactory(program=self.program, type=RuleType.SIGNUP, points=10)
        EarningRuleFactory(
            program=self.program,
            type=RuleType.CUSTOM_EVENT,
            event="review_posted",
            points=25,
            limit_count=2,
            limit_period="day",
        )
        for customer_id in CUSTOMERS:
            member_upsert(program=self.program, customer_id=customer_id, email=f"{customer_id}@example.com")

    def _next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _member(self, customer_id: str) -> Member:
        return Member.objects.get(program=self.program, customer_id=customer_id)

    @rule(customer_id=st.sampled_from(CUSTOMERS), subtotal=money)
    def order(self, customer_id, subtotal):
        order_id = self._next_id("o")
        result = order_record(
            program=self.program, order_id=order_id, customer_id=customer_id, subtotal=subtotal, currency="USD"
        )
        assert result.created
        self.orders.append(order_id)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def order_again(self, data):
        order = Order.objects.get(program=self.program, order_id=data.draw(st.sampled_from(self.orders)))
        before = Transaction.objects.filter(program=self.program).count()
        result = order_record(
            program=self.program,
            order_id=order.order_id,
            customer_id=order.member.customer_id,
            subtotal=order.subtotal,
            currency="USD",
        )
        assert not result.created and result.order.pk == order.pk
        assert Transaction.objects.filter(program=self.program).count() == before

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), full=st.booleans())
    def refund(self, data, full):
        order = Order.objects.get(program=self.program, order_id=data.draw(st.sampled_from(self.orders)))
        left = order.subtotal - order.refunded_amount
        amount = left if full else data.draw(money)
        refund_id = self._next_id("r")
        if amount <= 0 or amount > left:
            with pytest.raises(ValidationFailed):
                refund_record(program=self.program, order_id=order.order_id, refund_id=refund_id, amount=amount)
            return
        refund_record(program=self.program, order_id=order.order_id, refund_id=refund_id, amount=amount)
        self.refunds.append((order.order_id, refund_id, amount))

    @precondition(lambda self: self.refunds)
    @rule(data=st.data())
    def refund_again(self, data):
        order_id, refund_id, amount = data.draw(st.sampled_from(self.refunds))
        before = Transaction.objects.filter(program=self.program).count()
        result = refund_record(program=self.program, order_id=order_id, refund_id=refund_id, amount=amount)
        assert not result.created
        assert Transaction.objects.filter(program=self.program).count() == before

    @rule(customer_id=st.sampled_from(CUSTOMERS), points=st.integers(min_value=1, max_value=500))
    def credit(self, customer_id, points):
        points_adjust(member=self._member(customer_id), points=points, reason="goodwill")

    @rule(customer_id=st.sampled_from(CUSTOMERS), points=st.integers(min_value=1, max_value=1_000))
    def debit(self, customer_id, points):
        member = self._member(customer_id)
        if points > member.points_balance:
            with pytest.raises(InsufficientPoints):
                points_adjust(member=member, points=-points, reason="spend")
            assert self._member(customer_id).points_balance == member.points_balance
        else:
            points_adjust(member=member, points=-points, reason="spend")

    @rule(customer_id=st.sampled_from(CUSTOMERS), type=st.sampled_from(["review_posted", "page_viewed"]))
    def event(self, customer_id, type):
        event_record(program=self.program, event_id=self._next_id("e"), customer_id=customer_id, type=type)

    @rule(days=st.integers(min_value=0, max_value=30))
    def activate(self, days):
        activate_pending_points(timezone.now() + timedelta(days=days))

    @invariant()
    def ledger_holds(self):
        if not hasattr(self, "program"):
            return
        members = Member.objects.filter(program=self.program).annotate(
            active=Sum("transactions__points", filter=Q(transactions__status=TransactionStatus.ACTIVE), default=0),
            pending=Sum("transactions__points", filter=Q(transactions__status=TransactionStatus.PENDING), default=0),
        )
        for member in members:
            assert member.points_balance == member.active >= 0
            assert member.pending_points == member.pending >= 0
        assert not Order.objects.filter(program=self.program, points_reversed__gt=F("points_awarded")).exists()
        assert ledger_verify(program_id=self.program.pk) == []


@pytest.mark.django_db
def test_ledger_invariants_hold_after_every_step():
    profile = settings.get_profile(os.environ.get("LEDGER_HYPOTHESIS_PROFILE", "ledger-ci"))
    run_state_machine_as_test(LedgerMachine, settings=profile)
