from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from loyalty.choices import ExpiryPolicy
from members.choices import PointsStatus, TransactionKind, TransactionStatus
from members.models import Member, Order, Transaction
from members.services.adjustments import points_adjust
from members.services.pending import activate_pending_points
from members.services.refunds import refund_record
from tests.factories import TierFactory


@pytest.fixture
def pending_program(program):
    program.pending_days = 14
    program.save()
    return program


@pytest.fixture
def placed_at():
    return timezone.now().replace(microsecond=0)


def test_due_points_become_spendable(pending_program, place_order, placed_at, assert_ledger_clean):
    # given a member with 50 active points and an order whose 100 points are pending
    order = place_order("1", "100.00", placed_at=placed_at)
    points_adjust(member=order.member, points=50, reason="goodwill")
    due = placed_at + timedelta(days=14)
    # when the job runs exactly when they are due
    activated = activate_pending_points(due)
    # then they are active, with the balance after them, and the order says so
    assert activated == 1
    member = Member.objects.get(pk=order.member.pk)
    assert (member.points_balance, member.pending_points, member.lifetime_points) == (150, 0, 100)
    assert member.last_activity_at >= due
    row = Transaction.objects.get(order=order.order)
    assert (row.status, row.balance_after) == (TransactionStatus.ACTIVE, 150)
    assert Order.objects.get(pk=order.order.pk).points_status == PointsStatus.ACTIVE
    assert_ledger_clean()


def test_points_not_yet_due_stay_pending(pending_program, place_order, placed_at, assert_ledger_clean):
    # given pending points due at placed_at + 14 days
    order = place_order("1", "100.00", placed_at=placed_at)
    # when the job runs a microsecond earlier
    activated = activate_pending_points(placed_at + timedelta(days=14) - timedelta(microseconds=1))
    # then nothing moves
    assert activated == 0
    member = Member.objects.get(pk=order.member.pk)
    assert (member.points_balance, member.pending_points) == (0, 100)
    assert Order.objects.get(pk=order.order.pk).points_status == PointsStatus.PENDING
    assert_ledger_clean()


def test_running_twice_for_the_same_as_of_changes_nothing(pending_program, place_order, placed_at):
    # given pending points, activated once
    order = place_order("1", "100.00", placed_at=placed_at)
    as_of = placed_at + timedelta(days=20)
    activate_pending_points(as_of)
    before = list(Transaction.objects.values().order_by("pk")), Member.objects.get(pk=order.member.pk).points_balance
    # when the job runs again for the same as_of
    activated = activate_pending_points(as_of)
    # then nothing changes
    assert activated == 0
    after = list(Transaction.objects.values().order_by("pk")), Member.objects.get(pk=order.member.pk).points_balance
    assert after == before


def test_several_rows_of_a_member_get_running_balances(pending_program, place_order, placed_at, assert_ledger_clean):
    # given three pending orders of one member, one partly refunded, and one order not yet due
    place_order("1", "10.00", placed_at=placed_at)
    place_order("2", "20.00", placed_at=placed_at + timedelta(hours=1))
    refund_record(program=pending_program, order_id="2", refund_id="r2", amount=Decimal("5.00"))
    place_order("3", "30.00", placed_at=placed_at + timedelta(hours=2))
    place_order("4", "40.00", placed_at=placed_at + timedelta(days=5))
    # when the job runs after the first three are due
    activated = activate_pending_points(placed_at + timedelta(days=14, hours=2))
    # then they activate in id order with running balances, the refund with its order
    rows = Transaction.objects.filter(status=TransactionStatus.ACTIVE).order_by("pk")
    assert [(r.points, r.balance_after) for r in rows] == [(10, 10), (20, 30), (-5, 25), (30, 55)]
    assert activated == 4
    member = Member.objects.get(customer_id="c1")
    assert (member.points_balance, member.pending_points, member.lifetime_points) == (55, 40, 55)
    assert_ledger_clean()


def test_many_members_in_small_chunks(pending_program, place_order, placed_at, assert_ledger_clean):
    # given pending orders of seven members
    for i in range(7):
        place_order(f"o{i}", f"{10 + i}.00", customer_id=f"c{i}", placed_at=placed_at)
    # when the job activates them two members at a time
    activated = activate_pending_points(placed_at + timedelta(days=14), chunk_size=2)
    # then every member got their points
    assert activated == 7
    balances = sorted(Member.objects.values_list("points_balance", flat=True))
    assert balances == [10 + i for i in range(7)]
    assert not Member.objects.filter(pending_points__gt=0).exists()
    assert_ledger_clean()


def test_voided_points_are_not_activated(pending_program, place_order, placed_at, assert_ledger_clean):
    # given a pending order refunded in full
    order = place_order("1", "100.00", placed_at=placed_at)
    refund_record(program=pending_program, order_id="1", refund_id="r1", amount=Decimal("100.00"))
    # when the job runs after they would have been due
    activated = activate_pending_points(placed_at + timedelta(days=30))
    # then nothing activates
    assert activated == 0
    assert Member.objects.get(pk=order.member.pk).points_balance == 0
    assert_ledger_clean()


def test_activation_then_refund_takes_back_active_points(pending_program, place_order, placed_at, assert_ledger_clean):
    # given an order whose points were activated
    order = place_order("1", "100.00", placed_at=placed_at)
    activate_pending_points(placed_at + timedelta(days=14))
    # when part of it is refunded
    refund_record(program=pending_program, order_id="1", refund_id="r1", amount=Decimal("25.00"))
    # then active points are taken back at once
    member = Member.objects.get(pk=order.member.pk)
    assert (member.points_balance, member.pending_points) == (75, 0)
    assert Transaction.objects.get(kind=TransactionKind.REFUND).status == TransactionStatus.ACTIVE
    assert_ledger_clean()


def test_fixed_expiry_makes_activated_points_lots(pending_program, place_order, placed_at, assert_ledger_clean):
    # given fixed expiry after 90 days, and a pending order of 100 points partly refunded (−30)
    pending_program.expiry_policy = ExpiryPolicy.FIXED
    pending_program.expiry_days = 90
    pending_program.save()
    place_order("1", "100.00", placed_at=placed_at)
    refund_record(program=pending_program, order_id="1", refund_id="r1", amount=Decimal("30.00"))
    due = placed_at + timedelta(days=14)
    # when the job runs late
    activate_pending_points(due + timedelta(days=3))
    # then the earned row is a lot of the net 70, expiring 90 days after it became spendable
    lot = Transaction.objects.get(kind=TransactionKind.EARN)
    assert (lot.remaining, lot.expires_at) == (70, due + timedelta(days=90))
    refund = Transaction.objects.get(kind=TransactionKind.REFUND)
    assert (refund.remaining, refund.expires_at) == (None, None)
    # and spending takes from it
    points_adjust(member=lot.member, points=-20, reason="spent")
    assert Transaction.objects.get(pk=lot.pk).remaining == 50
    assert_ledger_clean()


def test_naive_as_of_is_read_as_utc(pending_program, place_order, placed_at):
    # given pending points
    place_order("1", "100.00", placed_at=placed_at)
    # when the job gets a naive as_of after they are due
    activated = activate_pending_points((placed_at + timedelta(days=15)).replace(tzinfo=None))
    # then it runs as UTC
    assert activated == 1


def test_activation_is_a_constant_number_of_queries(pending_program, place_order, placed_at, django_assert_num_queries):
    # given 20 members with pending points
    for i in range(20):
        place_order(f"o{i}", "10.00", customer_id=f"c{i}", placed_at=placed_at)
    # when the job activates them in one chunk
    # then the query count does not grow with the members: 2 chunk look-ups, savepoint and release,
    # the member lock, the fixed-expiry programs, 4 UPDATEs and the tier upgrade (3 for one program)
    with django_assert_num_queries(13):
        activate_pending_points(placed_at + timedelta(days=14))


def test_activated_points_upgrade_the_tier(pending_program, place_order, placed_at):
    # given tiers at 0 and 100 points earned, and a pending order of 150 points
    TierFactory(program=pending_program, key="green", threshold=Decimal("0"), position=1)
    gold = TierFactory(program=pending_program, key="gold", threshold=Decimal("100"), position=2)
    order = place_order("1", "150.00", placed_at=placed_at)
    assert Member.objects.get(pk=order.member.pk).tier.key == "green"
    # when the points activate
    activate_pending_points(placed_at + timedelta(days=14))
    # then the member reached gold
    assert Member.objects.get(pk=order.member.pk).tier_id == gold.pk
