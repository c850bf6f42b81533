"""Orders and ledger rows carry no database foreign key to their program, nor ledger rows to their order (members
migration 0012: each was checked at COMMIT of every order, the program's ONE row locked FOR KEY SHARE by all of
them). What the constraints guaranteed is kept another way: every writer copies the member's program (pinned here
over the write paths), and deleting a program, a member or an order still cascades or clears through Django."""

from decimal import Decimal

import pytest
from django.db import connection

from loyalty.choices import RuleType
from loyalty.models import Program
from members.models import Member, Order, TierChange, Transaction
from members.services.adjustments import points_adjust
from members.services.events import event_record
from members.services.order_batch import OrderInput, orders_record_many
from members.services.orders import order_record
from members.services.refunds import refund_record
from tests.conftest import postgres_only
from tests.factories import EarningRuleFactory, ProgramFactory, TierFactory


def _order(program, order_id, customer_id, subtotal="120.00"):
    return order_record(
        program=program,
        order_id=order_id,
        customer_id=customer_id,
        subtotal=Decimal(subtotal),
        currency="USD",
        email=f"{customer_id}@example.com",
    )


def _busy_program():
    """A program with tiers, a sign-up bonus and an event rule, and two members with orders, a tier upgrade, an
    event, an adjustment, a refund and a batch of orders: every writer of orders and ledger rows has run."""
    program = ProgramFactory()
    TierFactory(program=program, threshold=Decimal("0"))
    TierFactory(program=program, threshold=Decimal("100"))
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=25)
    EarningRuleFactory(program=program, type=RuleType.CUSTOM_EVENT, event="review_posted", points=50)
    first = _order(program, "o1", "c1")  # a new member: joined, sign-up row, order row, upgrade
    _order(program, "o2", "c1")  # an existing member
    event_record(program=program, event_id="e1", customer_id="c1", type="review_posted")
    points_adjust(member=Member.objects.get(pk=first.member.pk), points=-10, reason="goodwill back")
    refund_record(program=program, order_id="o1", refund_id="r1", amount=Decimal("20.00"))
    orders_record_many(
        program=program,
        orders=[
            OrderInput(order_id=f"b{n}", customer_id=f"c{n % 3}", subtotal=Decimal("30.00"), currency="USD",
                       email=f"c{n % 3}@example.com")
            for n in range(4)
        ],
    )  # fmt: skip
    return program


def _rows_off_their_members_program() -> list:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'order', o.id FROM members_order o JOIN members_member m ON m.id = o.member_id"
            " WHERE o.program_id <> m.program_id"
            " UNION ALL SELECT 'ledger', t.id FROM members_transaction t JOIN members_member m ON m.id = t.member_id"
            " WHERE t.program_id <> m.program_id"
        )
        return cursor.fetchall()


def test_every_writer_puts_orders_and_ledger_rows_in_their_members_program(db, assert_ledger_clean):
    # given two programs where orders (new and known customers, single and batch), an event, an adjustment and a
    # refund were recorded
    programs = [_busy_program(), _busy_program()]
    # then every order and ledger row is in its member's program (the database no longer checks the program)
    assert Transaction.objects.filter(program__in=programs).count() > 10
    assert _rows_off_their_members_program() == []
    assert_ledger_clean()


def test_deleting_a_program_deletes_its_members_orders_ledger_and_tier_history(db):
    # given two busy programs
    doomed, kept = _busy_program(), _busy_program()
    kept_rows = _row_counts(kept)
    # when one is deleted
    Program.objects.get(pk=doomed.pk).delete()
    # then none of its rows is left, and the other program keeps all of its own
    assert _row_counts(doomed) == {"members": 0, "orders": 0, "ledger": 0, "tier_changes": 0}
    assert _row_counts(kept) == kept_rows and kept_rows["orders"] > 0 and kept_rows["tier_changes"] > 0


def test_deleting_a_member_deletes_their_orders_and_ledger_rows(db):
    # given a busy program
    program = _busy_program()
    member = Member.objects.get(program=program, customer_id="c1")
    others = Transaction.objects.filter(program=program).exclude(member=member).count()
    # when one member is deleted
    member.delete()
    # then their orders and ledger rows are gone with them, the other members' stay
    assert not Order.objects.filter(member_id=member.pk).exists()
    assert not Transaction.objects.filter(member_id=member.pk).exists()
    assert Transaction.objects.filter(program=program).count() == others > 0


def test_deleting_an_order_keeps_its_ledger_rows_without_the_order(db, assert_ledger_clean):
    # given an order with its ledger row
    program = _busy_program()
    order = Order.objects.get(program=program, order_id="o2")
    row = Transaction.objects.get(order=order)
    # when the order is deleted (as the admin or a shell would, through Django)
    order.delete()
    # then the ledger row stays, its order cleared (SET_NULL), and no row points at a missing order
    row.refresh_from_db()
    assert row.order_id is None
    assert not Transaction.objects.filter(order_id__isnull=False).exclude(order_id__in=Order.objects.values("pk"))
    assert_ledger_clean()


def _row_counts(program) -> dict:
    return {
        "members": Member.objects.filter(program=program).count(),
        "orders": Order.objects.filter(program=program).count(),
        "ledger": Transaction.objects.filter(program=program).count(),
        "tier_changes": TierChange.objects.filter(member__program=program).count(),
    }


def _xmax(table: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT xmax::text FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_order_leaves_the_program_row_and_its_own_order_row_unlocked():
    # given a program with a known customer (committed)
    program = ProgramFactory()
    _order(program, "o1", "c1")
    program_xmax = _xmax("loyalty_program", program.pk)
    # when the customer's next order commits
    result = _order(program, "o2", "c1")
    # then it took no FOR KEY SHARE lock (a WAL record, a MultiXact under concurrency) on the program row, which
    # every order of the program shares, nor on the order row its ledger row refers to
    assert Transaction.objects.filter(order=result.order).exists()
    assert _xmax("loyalty_program", program.pk) == program_xmax
    assert _xmax("members_order", result.order.pk) == "0"
