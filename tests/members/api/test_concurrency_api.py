"""Retries that arrive at the same instant: the unique constraints decide, the API answers one 201 and 200s."""

import threading

import pytest
from django.db import connection

from members.models import Order, Transaction
from members.services.members import member_upsert
from tests.conftest import client_for, postgres_only
from tests.factories import ProgramFactory

THREADS = 6


def _race(request) -> list[int]:
    """Run `request()` in THREADS threads released together; their status codes."""
    barrier = threading.Barrier(THREADS)
    statuses = []

    def run():
        try:
            barrier.wait()
            statuses.append(request().status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


@pytest.fixture
def racing_api(transactional_db):
    program = ProgramFactory()
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    return program, client_for(program)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_order_at_the_same_instant_awards_once(racing_api, assert_ledger_clean):
    # given a member and one order about to be sent by six retries at once
    program, api = racing_api
    body = {"order_id": "1001", "customer_id": "c-1", "subtotal": "49.99", "currency": "USD"}

    # when they all arrive together
    statuses = _race(lambda: api.post("/api/v1/orders", body, format="json"))

    # then one created it, the others got the first answer, and the points were counted once
    assert statuses == [200] * (THREADS - 1) + [201]
    assert Order.objects.count() == 1
    assert Transaction.objects.filter(order__isnull=False).count() == 1
    assert_ledger_clean(program.pk)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_adjustment_key_at_the_same_instant_applies_once(racing_api, assert_ledger_clean):
    # given one credit about to be retried six times at once with one Idempotency-Key
    program, api = racing_api

    # when they all arrive together
    statuses = _race(
        lambda: api.post(
            "/api/v1/members/c-1/adjustments",
            {"points": 100, "reason": "gift"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="adj-1",
        )
    )

    # then it was applied once
    assert statuses == [200] * (THREADS - 1) + [201]
    assert Transaction.objects.filter(kind="adjust").count() == 1
    assert_ledger_clean(program.pk)
