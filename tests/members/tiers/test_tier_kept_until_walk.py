"""`member_tier_kept_until` in a rolling window: the first row (oldest first) whose sliding out leaves the member
below their tier is found by a running sum in the database. Here it is checked against the walk it replaced, row by
row in Python over the ORM, for every metric, on random activity: orders inside and outside the window, ties of
moments, refunds (negative ledger rows, fully refunded orders) and thresholds the member is already below."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models.functions import Coalesce
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty.choices import TierMetric, TierPeriod
from members.choices import EARNING_KINDS, TransactionStatus
from members.models import Member, Order, Transaction
from members.services.orders import order_record
from members.services.refunds import refund_record
from members.tier_selectors import (
    CENTS,
    _years_later,
    member_tier_kept_until,
    member_tier_standing,
    tier_threshold_units,
    tier_window,
)
from tests.factories import ProgramFactory, TierFactory

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _walk(member: Member, units: int, needed: int) -> datetime | None:
    """The walk `member_tier_kept_until` did before: the window's rows oldest first, through the ORM."""
    window = tier_window(program=member.program, at=AT)
    if member.program.tier_metric == TierMetric.POINTS_EARNED:
        rows = (
            Transaction.objects.filter(member=member, status=TransactionStatus.ACTIVE, kind__in=EARNING_KINDS)
            .annotate(happened_at=Coalesce("order__placed_at", "created_at"))
            .filter(happened_at__gte=window.start, happened_at__lte=window.end)
            .order_by("happened_at", "id")
            .values_list("happened_at", "points")
        )
    else:
        orders = Order.objects.filter(member=member, placed_at__gte=window.start, placed_at__lte=window.end)
        spend = member.program.tier_metric == TierMetric.SPEND
        rows = [
            (
                o.placed_at,
                int((o.subtotal - o.refunded_amount) * CENTS)
                if spend
                else (1 if (o.refunded_amount < o.subtotal or o.subtotal == 0) else 0),
            )
            for o in orders.order_by("placed_at", "id")
        ]
    for happened_at, units_of_row in rows:
        units -= units_of_row
        if units < needed:
            return _years_later(happened_at, 1) + timedelta(microseconds=1)
    return None


# (days before AT, subtotal in dollars, share refunded in quarters): days past 365 fall outside the window, and
# a few moments repeat (ties broken by id).
orders = st.lists(
    st.tuples(st.sampled_from([1, 30, 30, 90, 200, 364, 400]), st.integers(0, 400), st.integers(0, 4)),
    min_size=0,
    max_size=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(metric=st.sampled_from(TierMetric.values), activity=orders, gold=st.sampled_from([1, 100, 300, 800]))
def test_the_running_sum_finds_the_row_the_walk_found(db, metric, activity, gold):
    # given a Gold member of a rolling program (held whatever their activity) with random orders and refunds
    program = ProgramFactory(tier_metric=metric, tier_period=TierPeriod.ROLLING_12_MONTHS)
    TierFactory(program=program, key="green", position=1, threshold=Decimal("0"))
    gold_tier = TierFactory(program=program, key="gold", position=2, threshold=Decimal(gold))
    base = {"program": program, "customer_id": "c", "email": "c@example.com", "currency": "USD"}
    record_at = AT - timedelta(days=500)  # each row's own time (a ledger row counts at its order's placed_at)
    for n, (days, dollars, quarters) in enumerate(activity):
        placed_at = AT - timedelta(days=days)
        order_record(order_id=str(n), subtotal=Decimal(dollars), placed_at=placed_at, **base)
        if quarters and dollars:
            refund_record(program=program, order_id=str(n), refund_id=f"r{n}", amount=Decimal(dollars) * quarters / 4)
    if not activity:
        order_record(order_id="none", subtotal=Decimal(0), placed_at=record_at, **base)
    Member.objects.filter(program=program).update(tier=gold_tier)
    member = Member.objects.select_related("program", "tier").get(program=program)
    standing = member_tier_standing(member=member, at=AT)
    needed = tier_threshold_units(program=program, threshold=gold_tier.threshold)

    # when the widget or the portal asks until when Gold is kept
    kept_until = member_tier_kept_until(member=member, standing=standing, at=AT)

    # then it is the moment the old walk gave
    assert kept_until == _walk(member, standing.units, needed)
