from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from loyalty.choices import RuleType
from loyalty.errors import NotFound, ValidationFailed
from members.choices import PointsStatus, TransactionStatus
from members.models import Member, Order, Transaction
from members.services.orders import order_record
from tests.factories import EarningRuleFactory, TierFactory

CAMPAIGN_START = datetime(2026, 12, 1, tzinfo=UTC)


def test_order_awards_floor_of_rate_times_subtotal(program, place_order, assert_ledger_clean):
    # given a program earning 0.1 point per dollar
    program.points_per_currency_unit = Decimal("0.1")
    program.save()
    # when orders of 19.99 and 10.00 arrive
    first = place_order("1", "19.99")
    second = place_order("2", "10.00")
    # then 1.999 floors to 1 and 1.000 is exactly 1
    assert (first.order.points_awarded, second.order.points_awarded) == (1, 1)
    member = Member.objects.get(pk=first.member.pk)
    assert member.points_balance == member.lifetime_points == 2
    assert member.orders_count == 2 and member.lifetime_spend == Decimal("29.99")
    assert_ledger_clean()


def test_order_replay_returns_the_first_answer_and_writes_nothing(program, place_order, assert_ledger_clean):
    # given a recorded order
    first = place_order("1001", "49.99")
    rows = Transaction.objects.count()
    # when the same order_id arrives again, even with another subtotal
    again = place_order("1001", "500.00")
    # then the first order is returned and nothing is written
    assert first.created and not again.created
    assert again.order.pk == first.order.pk and again.order.points_awarded == 49
    assert Transaction.objects.count() == rows
    assert Member.objects.get(pk=first.member.pk).orders_count == 1
    assert_ledger_clean()


def test_order_multiplies_by_tier_and_live_bonus_at_placed_at(program, place_order, assert_ledger_clean):
    # given a 1.5× entry tier and a double-points campaign over 1-3 December
    TierFactory(program=program, threshold=Decimal("0"), multiplier=Decimal("1.5"))
    EarningRuleFactory(
        program=program,
        type=RuleType.BONUS_MULTIPLIER,
        multiplier=Decimal("2"),
        starts_at=CAMPAIGN_START,
        ends_at=CAMPAIGN_START + timedelta(days=2),
    )
    # when orders are placed just before, at the start, and at the end of the campaign
    before = place_order("a", "19.99", placed_at=CAMPAIGN_START - timedelta(seconds=1))
    inside = place_order("b", "19.99", placed_at=CAMPAIGN_START)
    after = place_order("c", "19.99", placed_at=CAMPAIGN_START + timedelta(days=2))
    # then only the one inside the half-open window is doubled: floor(19.99 × 1.5 × 2) = 59
    assert [r.order.points_awarded for r in (before, inside, after)] == [29, 59, 29]
    assert_ledger_clean()


def test_order_threshold_adds_flat_points(program, place_order):
    # given 200 points for baskets of 100.00 or more
    EarningRuleFactory(program=program, type=RuleType.ORDER_THRESHOLD, min_subtotal=Decimal("100.00"), points=200)
    # when orders just under and at the minimum arrive
    under = place_order("a", "99.99")
    at = place_order("b", "100.00")
    # then only the second gets the flat points
    assert (under.order.points_awarded, at.order.points_awarded) == (99, 300)


def test_order_with_pending_days_keeps_points_pending(program, place_order, assert_ledger_clean):
    # given points that stay pending for 14 days
    program.pending_days = 14
    program.save()
    placed_at = timezone.now()
    # when an order arrives
    result = place_order("1", "50.00", placed_at=placed_at)
    # then its points are pending until placed_at + 14 days and cannot be spent
    member = Member.objects.get(pk=result.member.pk)
    assert result.order.points_status == PointsStatus.PENDING
    assert (member.points_balance, member.pending_points, member.lifetime_points) == (0, 50, 0)
    row = Transaction.objects.get(order=result.order)
    assert row.status == TransactionStatus.PENDING and row.activates_at == placed_at + timedelta(days=14)
    assert_ledger_clean()


def test_order_older_than_its_pending_period_is_active_at_once(program, place_order):
    # given points that stay pending for 14 days
    program.pending_days = 14
    program.save()
    # when an order placed 15 days ago arrives late
    result = place_order("1", "50.00", placed_at=timezone.now() - timedelta(days=15))
    # then its points are spendable already
    assert result.order.points_status == PointsStatus.ACTIVE
    assert Member.objects.get(pk=result.member.pk).points_balance == 50


def test_order_creates_an_unknown_customer_with_signup_points_once(program, place_order, assert_ledger_clean):
    # given a 100-point sign-up rule
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=100)
    # when two orders arrive for a new customer
    place_order("1", "10.00", customer_id="new")
    place_order("2", "10.00", customer_id="new")
    # then one member exists, with the sign-up points once
    member = Member.objects.get(program=program, customer_id="new")
    assert member.points_balance == 120
    assert_ledger_clean()


def test_order_for_unknown_customer_without_email_is_not_found(program, assert_ledger_clean):
    # when an order names a customer that does not exist and gives no email
    with pytest.raises(NotFound) as caught:
        order_record(program=program, order_id="1", customer_id="ghost", subtotal=Decimal("5.00"), currency="USD")
    # then it is refused and nothing is written
    assert caught.value.code == "member_not_found"
    assert not Order.objects.exists() and not Member.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("subtotal", Decimal("-1.00"), "invalid_input"),
        ("subtotal", Decimal("1.001"), "invalid_input"),
        ("subtotal", 19.99, "invalid_input"),
        ("subtotal", "abc", "invalid_input"),
        ("subtotal", Decimal("NaN"), "invalid_input"),
        ("subtotal", Decimal("1e20"), "invalid_input"),
        ("currency", "EUR", "currency_mismatch"),
        ("order_id", "", "invalid_input"),
        ("order_id", "x" * 256, "invalid_input"),
    ],
)
def test_order_bad_input_is_refused_and_writes_nothing(program, field, value, code):
    # given an order with one bad value
    body = dict(order_id="1", customer_id="c1", email="c1@example.com", subtotal=Decimal("10.00"), currency="USD")
    body[field] = value
    # when it is recorded
    with pytest.raises(ValidationFailed) as caught:
        order_record(program=program, **body)
    # then it is refused with a stable code and nothing is written
    assert caught.value.code == code
    assert not Order.objects.exists() and not Member.objects.exists() and not Transaction.objects.exists()


def test_order_of_zero_points_writes_no_ledger_row(program, place_order, assert_ledger_clean):
    # when a free order arrives
    result = place_order("1", "0.00")
    # then it is recorded without a ledger row
    assert result.created and result.order.points_awarded == 0
    assert not Transaction.objects.exists()
    assert_ledger_clean()
