"""Orders racing across a tier threshold (PostgreSQL, threads): the upgrade is made in the order's write statement
(members/services/order_sql.py), and exactly one 'earned' TierChange is written per crossing, from the tier the
member really held."""

import json
from decimal import Decimal

import pytest

from loyalty.choices import TierMetric, TierPeriod
from members.choices import TierChangeReason
from members.models import Member, TierChange
from tests.conftest import client_for, postgres_only
from tests.factories import ProgramFactory, TierFactory
from tests.members.api.test_concurrency_api import THREADS, _race

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def _order(api, order_id: str, subtotal: str, customer_id: str = "c-1"):
    body = {"order_id": order_id, "customer_id": customer_id, "email": "c@example.com", "subtotal": subtotal}
    return lambda: api.post("/api/v1/orders", json.dumps({**body, "currency": "USD"}), content_type="application/json")


def test_orders_racing_across_thresholds_write_one_change_per_crossing(assert_ledger_clean):
    # given a ladder Bronze 0, Silver 100, Gold 250 (points earned, 1 point per unit) and a new customer
    program = ProgramFactory(tier_metric=TierMetric.POINTS_EARNED, tier_period=TierPeriod.LIFETIME)
    TierFactory(program=program, key="bronze", position=1, threshold=Decimal("0"))
    TierFactory(program=program, key="silver", position=2, threshold=Decimal("100"))
    TierFactory(program=program, key="gold", position=3, threshold=Decimal("250"))
    api = client_for(program)

    # when six orders of 50 for the same (new) customer arrive at once
    calls = iter([_order(api, f"o-{n}", "50") for n in range(THREADS)])
    statuses = _race(lambda: next(calls)())

    # then all six are recorded, and the member went Bronze -> Silver -> Gold once each
    assert statuses == [201] * THREADS
    member = Member.objects.get(program=program, customer_id="c-1")
    assert member.tier.key == "gold" and member.lifetime_points == 300
    changes = list(
        TierChange.objects.filter(member=member).order_by("id").values_list("reason", "from_tier__key", "to_tier__key")
    )
    assert changes == [
        (TierChangeReason.JOINED, None, "bronze"),
        (TierChangeReason.EARNED, "bronze", "silver"),
        (TierChangeReason.EARNED, "silver", "gold"),
    ]
    assert_ledger_clean()
