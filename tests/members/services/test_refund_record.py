from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.errors import IdempotencyConflict, NotFound, ValidationFailed
from members.choices import PointsStatus, TransactionKind, TransactionStatus
from members.models import Member, Order, Refund, Transaction
from members.services.adjustments import points_adjust
from members.services.orders import order_record
from members.services.refunds import refund_record
from tests.factories import ProgramFactory


def _refund(program, order_id, refund_id, amount):
    return refund_record(program=program, order_id=order_id, refund_id=refund_id, amount=Decimal(amount))


def test_partial_refund_reverses_the_floor_of_its_share(program, place_order, assert_ledger_clean):
    # given an order of 49.99 that earned 49 points
    order = place_order("1", "49.99")
    # when 10.00 is refunded
    result = _refund(program, "1", "r1", "10.00")
    # then floor(49 × 10 / 49.99) = 9 points are taken back
    assert result.created and result.refund.points_reversed == 9
    member = Member.objects.get(pk=order.member.pk)
    assert (member.points_balance, member.lifetime_points) == (40, 40)
    assert member.lifetime_spend == Decimal("39.99")
    assert_ledger_clean()


def test_partial_refunds_summing_to_the_order_reverse_exactly_the_points(program, place_order, assert_ledger_clean):
    # given an order of 49.99 that earned 49 points
    order = place_order("1", "49.99")
    # when it is refunded in three parts that add up to the order
    reversed_points = [
        _refund(program, "1", f"r{i}", amount).refund.points_reversed
        for i, amount in enumerate(["10.00", "10.00", "29.99"])
    ]
    # then the parts reverse 9, 10 and the remaining 30: exactly 49
    assert reversed_points == [9, 10, 30]
    assert Member.objects.get(pk=order.member.pk).points_balance == 0
    assert Order.objects.get(pk=order.order.pk).points_reversed == 49
    assert_ledger_clean()


@settings(max_examples=30, deadline=None)
@given(
    cents=st.integers(min_value=1, max_value=100_000),
    rate=st.sampled_from(["0.1", "1", "1.5", "3.3333"]),
    cuts=st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=6),
)
@pytest.mark.django_db
def test_any_split_of_a_full_refund_reverses_exactly_the_award(cents, rate, cuts):
    # given an order of any amount at any rate
    program = ProgramFactory(points_per_currency_unit=Decimal(rate))
    subtotal = Decimal(cents) / 100
    result = order_record(
        program=program, order_id="o", customer_id="c", email="c@example.com", subtotal=subtotal, currency="USD"
    )
    awarded = result.order.points_awarded
    # when it is refunded in parts proportional to `cuts`, the last part taking what is left
    total_cut = sum(cuts)
    amounts = [(subtotal * cut / total_cut).quantize(Decimal("0.01"), rounding="ROUND_DOWN") for cut in cuts[:-1]]
    amounts = [a for a in amounts if a > 0]
    amounts.append(subtotal - sum(amounts))
    refunded = Decimal("0")
    reversed_total = 0
    for i, amount in enumerate(amounts):
        refunded += amount
        reversed_total += _refund(program, "o", f"r{i}", amount).refund.points_reversed
        # then each step has taken back no more than its share so far, floored
        assert reversed_total <= awarded * refunded / subtotal
    # and all the parts together take back exactly what was awarded
    assert reversed_total == awarded
    assert Member.objects.get(pk=result.member.pk).points_balance == 0


def test_refund_past_the_order_total_is_refused_and_writes_nothing(program, place_order, assert_ledger_clean):
    # given an order of 20.00 with 15.00 refunded
    place_order("1", "20.00")
    _refund(program, "1", "r1", "15.00")
    rows, refunds = Transaction.objects.count(), Refund.objects.count()
    # when 5.01 more is refunded
    with pytest.raises(ValidationFailed) as caught:
        _refund(program, "1", "r2", "5.01")
    # then it is refused and nothing changes
    assert caught.value.code == "refund_exceeds_order"
    assert (Transaction.objects.count(), Refund.objects.count()) == (rows, refunds)
    assert Order.objects.get(order_id="1").refunded_amount == Decimal("15.00")
    assert_ledger_clean()


def test_same_refund_id_again_changes_nothing(program, place_order, assert_ledger_clean):
    # given a refund of 10.00
    order = place_order("1", "20.00")
    first = _refund(program, "1", "r1", "10.00")
    # when the same refund arrives again
    again = _refund(program, "1", "r1", "10.00")
    # then it is the first refund, and nothing more is reversed
    assert not again.created and again.refund.pk == first.refund.pk
    assert Member.objects.get(pk=order.member.pk).points_balance == 10
    assert Order.objects.get(pk=order.order.pk).refunded_amount == Decimal("10.00")
    assert_ledger_clean()


def test_same_refund_id_with_another_amount_or_order_is_a_conflict(program, place_order):
    # given a refund r1 of 10.00 on order 1, and another order 2
    place_order("1", "20.00")
    place_order("2", "20.00")
    _refund(program, "1", "r1", "10.00")
    # when r1 is sent again with another amount, or for the other order
    with pytest.raises(IdempotencyConflict) as other_amount:
        _refund(program, "1", "r1", "5.00")
    with pytest.raises(IdempotencyConflict) as other_order:
        _refund(program, "2", "r1", "10.00")
    # then both are idempotency conflicts (409) and nothing was written
    assert other_amount.value.code == other_order.value.code == "idempotency_conflict"
    assert other_amount.value.status == 409
    assert Refund.objects.count() == 1


def test_refund_after_points_were_spent_is_cut_to_the_balance(program, place_order, assert_ledger_clean):
    # given 100 points from an order, 80 of them spent
    order = place_order("1", "100.00")
    points_adjust(member=order.member, points=-80, reason="spent")
    # when the order is refunded in full
    result = _refund(program, "1", "r1", "100.00")
    # then only the 20 left are taken back; the balance does not go negative
    assert result.refund.points_reversed == 20
    assert Member.objects.get(pk=order.member.pk).points_balance == 0
    assert_ledger_clean()


def test_refund_with_nothing_left_to_take_writes_no_ledger_row(program, place_order, assert_ledger_clean):
    # given an order whose points were all spent
    order = place_order("1", "10.00")
    points_adjust(member=order.member, points=-10, reason="spent")
    # when it is refunded
    result = _refund(program, "1", "r1", "10.00")
    # then the refund is recorded with 0 points reversed, and no refund row is in the ledger
    assert result.created and result.refund.points_reversed == 0
    assert not Transaction.objects.filter(kind=TransactionKind.REFUND).exists()
    assert_ledger_clean()


def test_partial_refund_of_pending_points_is_a_pending_row(program, place_order, assert_ledger_clean):
    # given an order whose 100 points are pending
    program.pending_days = 14
    program.save()
    order = place_order("1", "100.00")
    # when 30.00 is refunded
    _refund(program, "1", "r1", "30.00")
    # then a pending −30 row waits with the order's points; nothing spendable moved
    member = Member.objects.get(pk=order.member.pk)
    assert (member.points_balance, member.pending_points) == (0, 70)
    refund_row = Transaction.objects.get(kind=TransactionKind.REFUND)
    earn_row = Transaction.objects.get(kind=TransactionKind.EARN)
    assert refund_row.status == TransactionStatus.PENDING and refund_row.points == -30
    assert refund_row.activates_at == earn_row.activates_at
    assert_ledger_clean()


def test_full_refund_of_pending_points_voids_them(program, place_order, assert_ledger_clean):
    # given an order whose 100 points are pending, 30.00 of it refunded
    program.pending_days = 14
    program.save()
    order = place_order("1", "100.00")
    _refund(program, "1", "r1", "30.00")
    # when the rest is refunded
    _refund(program, "1", "r2", "70.00")
    # then every pending row of the order is void and nothing is pending any more
    member = Member.objects.get(pk=order.member.pk)
    assert (member.points_balance, member.pending_points, member.lifetime_points) == (0, 0, 0)
    assert set(Transaction.objects.values_list("status", flat=True)) == {TransactionStatus.VOID}
    assert Order.objects.get(pk=order.order.pk).points_status == PointsStatus.ACTIVE
    assert_ledger_clean()


@pytest.mark.parametrize("amount", ["0", "-1.00", "1.001", "abc"])
def test_refund_bad_amount_is_refused(program, place_order, amount):
    # given an order
    place_order("1", "10.00")
    # when a refund has a bad amount
    with pytest.raises(ValidationFailed):
        refund_record(program=program, order_id="1", refund_id="r1", amount=amount)
    # then nothing is written
    assert not Refund.objects.exists()


def test_refund_of_another_programs_order_is_not_found(program, place_order):
    # given an order in another program
    place_order("1", "10.00")
    other = ProgramFactory()
    # when the other program refunds it
    with pytest.raises(NotFound):
        _refund(other, "1", "r1", "10.00")
    # then nothing is written
    assert not Refund.objects.exists()
