"""Orders arriving at the same instant on the one-statement write path (PostgreSQL): the member lock serialises
them, and the statement after the lock reads the tier metric and lots with the earlier orders committed."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from loyalty.choices import ExpiryPolicy, TierMetric, TierPeriod
from members.models import Member, Order, TierChange, Transaction
from members.services.members import member_upsert
from tests.conftest import client_for, postgres_only
from tests.factories import ProgramFactory, TierFactory
from tests.members.api.test_concurrency_api import THREADS, _race


@pytest.fixture
def busy_program(transactional_db):
    """A program with tiers on points earned and expiring lots, a member, and an API client."""
    program = ProgramFactory(
        tier_metric=TierMetric.POINTS_EARNED,
        tier_period=TierPeriod.ROLLING_12_MONTHS,
        expiry_policy=ExpiryPolicy.FIXED,
        expiry_days=365,
    )
    TierFactory(program=program, key="bronze", threshold=Decimal("0"), position=1)
    TierFactory(program=program, key="silver", threshold=Decimal("100"), position=2)
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    return program, client_for(program)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_order_delivered_at_once_awards_once(busy_program, assert_ledger_clean):
    # given one order about to be delivered six times at once
    program, api = busy_program
    body = {"order_id": "1001", "customer_id": "c-1", "subtotal": "49.99", "currency": "USD"}

    # when the deliveries arrive together
    statuses = _race(lambda: api.post("/api/v1/orders", body, format="json"))

    # then one created it, the others got its answer, and its points were counted once
    assert statuses == [200] * (THREADS - 1) + [201]
    assert Order.objects.count() == 1
    assert Transaction.objects.filter(order__isnull=False).count() == 1
    assert Member.objects.get(customer_id="c-1").points_balance == 49
    assert_ledger_clean(program.pk)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_orders_of_one_member_at_once_see_each_other_for_the_tier(busy_program, assert_ledger_clean):
    # given six different orders of 30 points for one member, about to arrive at once (silver at 100)
    program, api = busy_program
    numbers = iter(range(THREADS))
    lock = threading.Lock()

    def post():
        with lock:
            number = next(numbers)
        body = {"order_id": f"o-{number}", "customer_id": "c-1", "subtotal": "30.00", "currency": "USD"}
        try:
            return api.post("/api/v1/orders", body, format="json")
        finally:
            connection.close()

    # when they arrive together
    statuses = _race(post)

    # then all were recorded, and the order that crossed 100 points moved the member up, once: each order's tier
    # check saw the orders committed before it took the lock
    assert statuses == [201] * THREADS
    member = Member.objects.select_related("tier").get(customer_id="c-1")
    assert member.points_balance == 30 * THREADS
    assert member.tier.key == "silver"
    assert TierChange.objects.filter(member=member, to_tier__key="silver").count() == 1
    assert_ledger_clean(program.pk)
