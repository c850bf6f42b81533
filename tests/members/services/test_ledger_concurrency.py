"""Races the ledger must win on PostgreSQL: threads start together at a barrier and hit the same rows."""

import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from loyalty.choices import RuleType
from loyalty.errors import InsufficientPoints, ValidationFailed
from members.choices import TransactionKind, TransactionStatus
from members.models import Event, Member, Order, Refund, Transaction
from members.services.adjustments import points_adjust
from members.services.events import event_record
from members.services.members import member_upsert
from members.services.orders import order_record
from members.services.pending import activate_pending_points
from members.services.refunds import refund_record
from tests.conftest import postgres_only
from tests.factories import EarningRuleFactory, ProgramFactory

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def run_together(calls: list[Callable]) -> list:
    """Run every call in its own thread, all released at once; returns each result or the exception raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i: int, call: Callable) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results


def _errors(results, kind=Exception) -> list:
    return [r for r in results if isinstance(r, kind)]


def test_same_order_delivered_ten_times_at_once_is_awarded_once(assert_ledger_clean):
    # given a program with a sign-up bonus, and a customer it has never seen
    program = ProgramFactory()
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=100)

    def deliver():
        return order_record(
            program=program,
            order_id="1001",
            customer_id="new",
            email="new@example.com",
            subtotal=Decimal("49.99"),
            currency="USD",
        )

    # when the same order arrives ten times at once
    results = run_together([deliver] * 10)
    # then one delivery created it and nine replayed it
    assert _errors(results) == []
    assert sorted(r.created for r in results) == [False] * 9 + [True]
    assert {r.order.pk for r in results} == {Order.objects.get().pk}
    # and the member earned the order and the sign-up once
    member = Member.objects.get()
    assert member.points_balance == 149 and member.orders_count == 1
    assert Transaction.objects.filter(kind=TransactionKind.EARN).count() == 1
    assert_ledger_clean()


def test_twenty_debits_against_a_balance_for_five(assert_ledger_clean):
    # given a member with 50 points
    program = ProgramFactory()
    member, _ = member_upsert(program=program, customer_id="c1", email="c1@example.com")
    points_adjust(member=member, points=50, reason="goodwill")

    def debit(i):
        return lambda: points_adjust(member=member, points=-10, reason="spend", idempotency_key=f"debit-{i}")

    # when 20 debits of 10 arrive at once
    results = run_together([debit(i) for i in range(20)])
    # then exactly 5 succeed, 15 are refused for insufficient points, and the balance is 0
    assert len(_errors(results, InsufficientPoints)) == 15
    assert len([r for r in results if isinstance(r, tuple) and r[1]]) == 5
    member.refresh_from_db()
    assert member.points_balance == 0
    assert_ledger_clean()


def test_concurrent_events_never_pass_the_limit(assert_ledger_clean):
    # given a review rule limited to 3 a day, and a member
    program = ProgramFactory()
    EarningRuleFactory(
        program=program, type=RuleType.CUSTOM_EVENT, event="review_posted", points=50, limit_count=3, limit_period="day"
    )
    member, _ = member_upsert(program=program, customer_id="c1", email="c1@example.com")

    def review(i):
        return lambda: event_record(program=program, event_id=f"e{i}", customer_id="c1", type="review_posted")

    # when 10 reviews arrive at once
    results = run_together([review(i) for i in range(10)])
    # then all are recorded and exactly 3 earn
    assert _errors(results) == []
    assert Event.objects.count() == 10
    assert Event.objects.filter(points_awarded__gt=0).count() == 3
    assert Member.objects.get(pk=member.pk).points_balance == 150
    assert_ledger_clean()


def test_concurrent_orders_of_a_new_customer_make_one_member(assert_ledger_clean):
    # given a program with a sign-up bonus, and a customer it has never seen
    program = ProgramFactory()
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=100)

    def order(i):
        return lambda: order_record(
            program=program,
            order_id=f"o{i}",
            customer_id="new",
            email="new@example.com",
            subtotal=Decimal("10.00"),
            currency="USD",
        )

    # when 8 different orders of that customer arrive at once
    results = run_together([order(i) for i in range(8)])
    # then there is one member with every order and the sign-up bonus once
    assert _errors(results) == []
    assert all(r.created for r in results)
    member = Member.objects.get()
    assert Order.objects.filter(member=member).count() == 8
    assert (member.points_balance, member.orders_count) == (180, 8)
    assert Transaction.objects.filter(kind=TransactionKind.BONUS).count() == 1
    assert_ledger_clean()


def test_concurrent_partial_refunds_reverse_exactly_the_award(assert_ledger_clean):
    # given an order of 100.00 that earned 100 points
    program = ProgramFactory()
    order_record(
        program=program,
        order_id="1",
        customer_id="c1",
        email="c1@example.com",
        subtotal=Decimal("100.00"),
        currency="USD",
    )

    def refund(i):
        return lambda: refund_record(program=program, order_id="1", refund_id=f"r{i}", amount=Decimal("30.00"))

    # when four refunds of 30.00 arrive at once (only three fit in the order)
    results = run_together([refund(i) for i in range(4)])
    # then three are recorded, one is refused, and 90 points are reversed
    assert len(_errors(results, ValidationFailed)) == 1
    assert Refund.objects.count() == 3
    order = Order.objects.get()
    assert (order.refunded_amount, order.points_reversed) == (Decimal("90.00"), 90)
    assert Member.objects.get().points_balance == 10
    assert_ledger_clean()


def test_activation_racing_a_full_refund_leaves_nothing(assert_ledger_clean):
    # given 5 pending orders of 100 points each, due now
    program = ProgramFactory(pending_days=14)
    placed_at = timezone.now() - timedelta(days=13)
    for i in range(5):
        order_record(
            program=program,
            order_id=f"o{i}",
            customer_id=f"c{i}",
            email=f"c{i}@example.com",
            subtotal=Decimal("100.00"),
            currency="USD",
            placed_at=placed_at,
        )

    def refund(i):
        return lambda: refund_record(program=program, order_id=f"o{i}", refund_id=f"r{i}", amount=Decimal("100.00"))

    # when the activation job runs while every order is refunded in full
    results = run_together(
        [lambda: activate_pending_points(timezone.now() + timedelta(days=2))] + [refund(i) for i in range(5)]
    )
    # then whichever came first, every member ends with nothing, spendable or pending
    assert _errors(results) == []
    assert set(Member.objects.values_list("points_balance", "pending_points")) == {(0, 0)}
    assert not Transaction.objects.filter(status=TransactionStatus.PENDING).exists()
    assert_ledger_clean()
