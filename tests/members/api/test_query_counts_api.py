"""Pinned query counts: each call costs the same whatever the history length.

Counts include the API key lookup (1 query) unless the key is warm: a valid key's program is cached for a few
seconds (`loyalty.program_config`), as are the program's rules and tiers, which the order path reads from there.
Member answers add the member (with its tier) and `member_next_tier` (1 query with tiers configured)."""

from decimal import Decimal

import pytest
from django.db import connection

from loyalty.choices import ExpiryPolicy, RuleType
from members.services.adjustments import points_adjust
from members.services.orders import order_record
from tests.factories import EarningRuleFactory, TierFactory
from tests.members.api.conftest import post

ORDER = {"order_id": "2001", "customer_id": "c-1", "subtotal": "10.00", "currency": "USD"}


@pytest.fixture(autouse=True)
def _caches_kept(settings):
    """The pins count a warm process: on a loaded machine a test can outlast the few seconds of the caches."""
    settings.PROGRAM_CONFIG_CACHE_SECONDS = 3600


@pytest.fixture
def configured(program):
    """A program with rules and tiers, so every lookup the calls make has something to find."""
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=100)
    EarningRuleFactory(program=program, type=RuleType.ORDER_THRESHOLD, points=10, min_subtotal=Decimal("5"))
    TierFactory(program=program, key="bronze", threshold=Decimal("0"), position=1)
    TierFactory(program=program, key="gold", threshold=Decimal("1000"), position=2)
    return program


def _history(program, member, length: int) -> None:
    for n in range(length):
        order_record(
            program=program, order_id=f"h-{n}", customer_id=member.customer_id, subtotal=Decimal("1"), currency="USD"
        )


@pytest.mark.parametrize("history", [1, 50])
def test_get_member_queries(api, configured, member, history, django_assert_num_queries):
    # given a member with a short or a long history
    _history(configured, member, history)

    # when the member is fetched
    with django_assert_num_queries(3):
        response = api.get("/api/v1/members/c-1")

    # then the same three queries answered (key, member + tier, next tier)
    assert response.status_code == 200


@pytest.mark.parametrize("history", [1, 50])
def test_list_transactions_queries(api, configured, member, history, django_assert_num_queries):
    # given a member with a short or a long history
    _history(configured, member, history)

    # when a page of the ledger is fetched
    with django_assert_num_queries(3):
        response = api.get("/api/v1/members/c-1/transactions?limit=20")

    # then three queries answered (key, member, one page)
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(history + 1, 20)


def _warm(api) -> None:
    """One call, so that the key's program and the program's rules and tiers are cached, as in a busy shop."""
    post(api, "/api/v1/orders", {**ORDER, "order_id": "warm-up", "customer_id": "c-1"})


@pytest.mark.parametrize("history", [1, 50])
def test_post_order_for_an_existing_member_queries(api, configured, member, history, django_assert_num_queries):
    # given a member with a short or a long history, and a warm API key
    _history(configured, member, history)
    _warm(api)

    # when an order is recorded
    with django_assert_num_queries(4 if connection.vendor == "postgresql" else 7):
        response = post(api, "/api/v1/orders", ORDER)

    # then the same statements answered: the transaction (2), the member locked and read in one, then on
    # PostgreSQL one statement writing the order, its ledger row and the member's counters and reading the tier
    # metric from before them (members/services/order_sql.py); SQLite reads the metric, then writes the three
    assert response.status_code == 201


@pytest.mark.parametrize("history", [1, 50])
def test_post_order_with_expiring_lots_queries(api, configured, member, history, django_assert_num_queries):
    # given a program whose points expire in lots, a member with a history, and a warm API key
    configured.expiry_policy, configured.expiry_days = ExpiryPolicy.FIXED, 365
    configured.save()
    _history(configured, member, history)
    _warm(api)

    # when an order is recorded
    with django_assert_num_queries(4 if connection.vendor == "postgresql" else 8):
        response = post(api, "/api/v1/orders", ORDER)

    # then the answer's next expiry cost no statement after the writes on PostgreSQL (the write statement read the
    # next lot; SQLite reads it before its writes)
    assert response.status_code == 201
    assert response.json()["member"]["next_expiry"]["points"] == 1


def test_post_order_for_a_new_member_queries(api, configured, member, django_assert_num_queries):
    # given no member for the customer, and a warm key
    _warm(api)

    # when an order with an email creates one
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 10):
        response = post(api, "/api/v1/orders", {**ORDER, "customer_id": "new", "email": "new@example.com"})

    # then the transaction (2), the lock that misses, the member inserted with its entry tier and sign-up points
    # (ON CONFLICT DO NOTHING: no savepoint, no re-read) with its 'joined' tier change and its sign-up ledger row
    # (one statement on PostgreSQL, three on SQLite), then the order as for a member: on PostgreSQL one statement
    # (the order, its ledger row, the counters, the tier metric before them); on SQLite the tier metric, then the
    # order, its ledger row and the counters
    assert response.status_code == 201


@pytest.mark.parametrize("history", [1, 50])
def test_replayed_order_queries(api, configured, member, history, django_assert_num_queries):
    # given a recorded order and a short or a long history
    _history(configured, member, history)
    post(api, "/api/v1/orders", ORDER)

    # when it is sent again
    with django_assert_num_queries(7 if connection.vendor == "postgresql" else 8):
        response = post(api, "/api/v1/orders", ORDER)

    # then the insert is refused by the unique order id (no pre-read on the path of new orders: a replay pays
    # instead: the transaction, the member lock, the refused write statement, its rollback, then the order with
    # its member and tier, and the next tier; SQLite also reads the tier metric before its INSERT)
    assert response.status_code == 200


@pytest.mark.parametrize("history", [1, 50])
def test_adjustment_queries(api, configured, member, history, django_assert_num_queries):
    # given a member with a short or a long history
    for n in range(history):
        points_adjust(member=member, points=1, reason=f"gift {n}")

    # when an adjustment is made
    with django_assert_num_queries(8):
        response = post(api, "/api/v1/members/c-1/adjustments", {"points": 5, "reason": "gift"})

    # then the same number of queries answered
    assert response.status_code == 201
