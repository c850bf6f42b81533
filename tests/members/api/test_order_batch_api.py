"""`POST /api/v1/orders/batch` recorded set-based (`members.services.order_batch`): a fixed number of statements
whatever the batch size, and every item's answer, the ledger and the tiers exactly as single calls leave them."""

import json
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loyalty.choices import ExpiryPolicy, RuleType, TierMetric, TierPeriod
from members.api.batch_views import OrderBatchRecordApi
from members.models import Member, Order, TierChange, Transaction
from members.services import members as members_service
from members.services.members import member_upsert
from tests.conftest import client_for, postgres_only
from tests.factories import EarningRuleFactory, ProgramFactory, TierFactory
from tests.members.api.conftest import post

BATCH = "/api/v1/orders/batch"


@pytest.fixture(autouse=True)
def _caches_kept(settings):
    """The pins count a warm process: on a loaded machine a test can outlast the few seconds of the caches."""
    settings.PROGRAM_CONFIG_CACHE_SECONDS = 3600


def _program(gold: str = "100", **fields):
    program = ProgramFactory(**fields)
    EarningRuleFactory(program=program, type=RuleType.ORDER_THRESHOLD, points=50, min_subtotal=Decimal("100"))
    TierFactory(program=program, key="bronze", threshold=Decimal("0"), position=1)
    TierFactory(program=program, key="gold", threshold=Decimal(gold), multiplier=Decimal("2"), position=2)
    for n in range(5):
        member_upsert(program=program, customer_id=f"c-{n}", email=f"c{n}@example.com")
    return program


def _orders(count: int, *, prefix: str = "o", members: int = 5, subtotal: str = "3.00") -> list[dict]:
    return [
        {"order_id": f"{prefix}-{n}", "customer_id": f"c-{n % members}", "subtotal": subtotal, "currency": "USD"}
        for n in range(count)
    ]


def _state(program) -> dict:
    members = Member.objects.filter(program=program).order_by("customer_id")
    return {
        "tier_changes": list(
            TierChange.objects.filter(member__program=program)
            .order_by("member__customer_id", "id")
            .values_list("member__customer_id", "from_tier__key", "to_tier__key", "reason")
        ),
        "members": list(
            members.values_list(
                "customer_id",
                "points_balance",
                "pending_points",
                "lifetime_points",
                "lifetime_spend",
                "orders_count",
                "tier__key",
            )
        ),
        "ledger": list(
            Transaction.objects.filter(program=program)
            .order_by("member__customer_id", "id")
            .values_list("member__customer_id", "kind", "points", "balance_after", "status", "remaining")
        ),
    }


def _single_answers(api, orders: list[dict]) -> list[tuple]:
    answers = []
    for order in orders:
        body = post(api, "/api/v1/orders", order).json()
        answers.append((order["order_id"], "created", body["points_awarded"], body["points_status"]))
    return answers


def _batch_answers(api, orders: list[dict]) -> list[tuple]:
    body = post(api, BATCH, {"orders": orders}).json()
    return [(r["order_id"], r["status"], r["points_awarded"], r["points_status"]) for r in body["results"]]


@pytest.mark.parametrize("size", [10, 40])  # SQLite splits an INSERT past 999 parameters: ~60 orders
def test_a_batch_of_existing_members_costs_the_same_statements_whatever_its_size(db, size):
    # given members with a warm API key (rules and tiers cached by a first batch), none near the next tier
    program = _program()
    api = client_for(program)
    post(api, BATCH, {"orders": _orders(5, prefix="warm")})

    # when a batch of `size` orders for them is sent
    with CaptureQueriesContext(connection) as queries:
        response = post(api, BATCH, {"orders": _orders(size, subtotal="1.00")})

    # then a fixed number of statements recorded it: existing orders, the transaction (2), the lock (which finds
    # the members), their tier standings, the orders, the ledger rows, the members
    assert response.status_code == 200
    assert response.json()["created"] == size
    assert len(queries) == 8


@pytest.mark.parametrize("size", [10, 40])
def test_members_moving_up_midway_cost_one_statement_more_whatever_their_number(db, size):
    # given members with a warm API key, every one of them 10 points short of gold (100 points)
    program = _program()
    api = client_for(program)
    post(api, BATCH, {"orders": _orders(5, prefix="warm", subtotal="90.00")})

    # when a batch sends each of them several orders that cross gold on the way
    with CaptureQueriesContext(connection) as queries:
        response = post(api, BATCH, {"orders": _orders(size, subtotal="6.00")})

    # then the tier changes are one INSERT more (the tiers go with the members' UPDATE), none goes one by one
    assert response.json()["created"] == size
    assert len(queries) == 9
    assert Member.objects.filter(program=program, tier__key="gold").count() == 5


@pytest.mark.parametrize(
    "subtotals",
    [
        ["80.00", "30.00", "30.00"],  # crosses gold (100 points) at the second order: the third earns double
        ["60.00", "30.00"],  # stays below: recorded set-based
        ["120.00", "5.00"],  # crosses at the first
    ],
)
def test_orders_that_move_a_member_up_midway_earn_as_single_calls_do(db, subtotals, assert_ledger_clean):
    # given two identical programs with a gold tier at 100 points that doubles points
    single_program, batch_program = _program(), _program()
    orders = [
        {"order_id": f"t-{n}", "customer_id": "c-1", "subtotal": subtotal, "currency": "USD"}
        for n, subtotal in enumerate(subtotals)
    ] + _orders(4, prefix="others")

    # when the same orders go one by one to one and as one batch to the other
    singles = _single_answers(client_for(single_program), orders)
    batched = _batch_answers(client_for(batch_program), orders)

    # then answers, balances, tiers and ledgers are the same
    assert batched == singles
    assert _state(batch_program) == _state(single_program)
    assert_ledger_clean()


TWO_YEARS_AGO = "2024-11-01T12:00:00Z"


@pytest.mark.parametrize(
    ("program_fields", "orders"),
    [
        # spend: $110 crosses gold ($100) at the second order, the third earns double
        ({"tier_metric": TierMetric.SPEND}, [("60.00", None), ("50.00", None), ("30.00", None)]),
        # orders: the second order crosses gold (2 orders), the third earns double
        ({"tier_metric": TierMetric.ORDERS, "gold": "2"}, [("5.00", None), ("5.00", None), ("5.00", None)]),
        # points, pending: pending points do not count, nobody moves up
        ({"pending_days": 14}, [("80.00", None), ("30.00", None), ("30.00", None)]),
        # points over 12 months: an order placed two years ago earns but does not count
        ({"tier_period": TierPeriod.ROLLING_12_MONTHS}, [("150.00", TWO_YEARS_AGO), ("30.00", None), ("5.00", None)]),
        # the same order counts for a lifetime tier: gold from the first order
        ({"tier_period": TierPeriod.LIFETIME}, [("150.00", TWO_YEARS_AGO), ("30.00", None), ("5.00", None)]),
    ],
    ids=["spend", "orders", "pending-points", "outside-the-window", "lifetime"],
)
def test_each_tier_metric_moves_members_up_in_a_batch_as_single_calls_do(
    db, program_fields, orders, assert_ledger_clean
):
    # given two identical programs whose gold tier doubles points
    single_program, batch_program = _program(**program_fields), _program(**program_fields)
    bodies = [
        {"order_id": f"m-{n}", "customer_id": "c-2", "subtotal": subtotal, "currency": "USD"}
        | ({"placed_at": placed_at} if placed_at else {})
        for n, (subtotal, placed_at) in enumerate(orders)
    ]

    # when the same orders go one by one to one and as one batch to the other
    singles = _single_answers(client_for(single_program), bodies)
    batched = _batch_answers(client_for(batch_program), bodies)

    # then the same answers, tiers, tier changes and ledgers
    assert batched == singles
    assert _state(batch_program) == _state(single_program)
    assert_ledger_clean()


def test_the_order_rows_hold_what_single_calls_store(db):
    # given two identical programs and orders with line items (JSON, quotes and accents), a referral code and a
    # date of their own
    single_program, batch_program = _program(), _program()
    bodies = [
        {
            "order_id": f"r-{n}",
            "customer_id": f"c-{n}",
            "subtotal": "19.99",
            "currency": "USD",
            "placed_at": "2026-01-02T03:04:05Z",
            "referral_code": "" if n else "K7QX2M9P",
            "items": [{"sku": f"a'{n}", "name": 'Crème "brûlée"', "qty": n + 1}] if n else [],
        }
        for n in range(3)
    ]

    # when the same orders go one by one and as a batch
    _single_answers(client_for(single_program), bodies)
    _batch_answers(client_for(batch_program), bodies)

    # then the stored orders and their ledger rows (each linked to its order) are the same
    def stored(program):
        orders = Order.objects.filter(program=program).order_by("order_id")
        return [
            list(orders.values_list("order_id", "subtotal", "currency", "placed_at", "referral_code", "items")),
            list(
                Transaction.objects.filter(program=program, order__isnull=False)
                .order_by("order__order_id")
                .values_list("order__order_id", "idempotency_key", "description", "points")
            ),
        ]

    assert stored(batch_program) == stored(single_program)
    assert len(stored(batch_program)[1]) == 3


@pytest.mark.parametrize("policy", ["pending", "fixed_expiry"])
def test_pending_points_and_expiring_lots_are_written_as_single_calls_write_them(db, policy, assert_ledger_clean):
    # given two identical programs with pending days or lots that expire
    fields = {"pending_days": 14} if policy == "pending" else {"expiry_policy": ExpiryPolicy.FIXED, "expiry_days": 365}
    single_program, batch_program = _program(**fields), _program(**fields)
    orders = _orders(12)

    # when the same orders go one by one and as a batch
    singles = _single_answers(client_for(single_program), orders)
    batched = _batch_answers(client_for(batch_program), orders)

    # then the same answers and the same ledger (statuses, lots left)
    assert batched == singles
    assert _state(batch_program) == _state(single_program)
    if policy == "fixed_expiry":
        assert not Transaction.objects.filter(program=batch_program, kind="earn", expires_at__isnull=True).exists()
    assert_ledger_clean()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_batches_over_the_same_members_at_once_neither_deadlock_nor_lose_points(assert_ledger_clean):
    # given members and four batches of different orders over all of them, listed in different orders
    program = _program()
    batches = [_orders(60, prefix=f"b{n}", members=5) for n in range(4)]
    batches[1].reverse()
    batches[3].reverse()
    answers = []

    def send(orders):
        try:
            answers.append(post(client_for(program), BATCH, {"orders": orders}).json())
        finally:
            connection.close()

    # when they are sent at the same time
    threads = [threading.Thread(target=send, args=(orders,)) for orders in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then every order is recorded once and every point is in the ledger
    assert sorted(answer["created"] for answer in answers) == [60, 60, 60, 60]
    assert Order.objects.filter(program=program).count() == 240
    assert sum(Member.objects.filter(program=program).values_list("orders_count", flat=True)) == 240
    assert_ledger_clean()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_single_orders_and_a_batch_for_the_same_members_at_once_lose_no_update(assert_ledger_clean):
    # given members, a batch of orders for all of them and single orders for the same members
    program = _program()
    batch = _orders(60, prefix="b", members=5)
    singles = _orders(15, prefix="s", members=5)
    answers, statuses = [], []

    def send_batch():
        try:
            answers.append(post(client_for(program), BATCH, {"orders": batch}).json())
        finally:
            connection.close()

    def send_singles(orders):
        try:
            api = client_for(program)
            statuses.extend(post(api, "/api/v1/orders", order).status_code for order in orders)
        finally:
            connection.close()

    # when the batch and three clients of single orders run at the same time
    threads = [threading.Thread(target=send_batch)] + [
        threading.Thread(target=send_singles, args=(singles[n::3],)) for n in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then every order is recorded once, every member's counters hold all of them and the ledger agrees
    assert answers[0]["created"] == 60 and statuses == [201] * 15
    members = Member.objects.filter(program=program)
    assert sum(members.values_list("orders_count", flat=True)) == 75
    assert sum(members.values_list("lifetime_spend", flat=True)) == Decimal("225.00")
    assert_ledger_clean()


def test_new_customers_in_a_batch_join_as_single_calls_make_them_join(db, assert_ledger_clean):
    # given two identical programs with sign-up points and tiers
    single_program, batch_program = _program(), _program()
    for program in (single_program, batch_program):
        EarningRuleFactory(program=program, type=RuleType.SIGNUP, points=25, name="Welcome")
    orders = [
        {"order_id": f"n-{n}", "customer_id": f"new-{n % 3}", "email": f"new{n % 3}-{n}@example.com",
         "subtotal": "12.00", "currency": "USD"}
        for n in range(7)
    ] + _orders(3, prefix="known")  # fmt: skip

    # when the same orders go one by one and as a batch
    singles = _single_answers(client_for(single_program), orders)
    batched = _batch_answers(client_for(batch_program), orders)

    # then the same answers, members (entry tier, the first order's email), sign-up points and ledger
    assert batched == singles
    assert _state(batch_program) == _state(single_program)
    emails = dict(Member.objects.filter(program=batch_program).values_list("customer_id", "email"))
    assert emails["new-1"] == "new1-1@example.com"
    assert Member.objects.filter(program=batch_program, tier__key="bronze").count() == 8
    assert_ledger_clean()


def test_a_new_customer_whose_random_referral_code_is_taken_joins_all_the_same(db, monkeypatch, assert_ledger_clean):
    # given a program whose member c-0 holds the code the batch's first new member draws
    program = _program()
    taken = Member.objects.get(program=program, customer_id="c-0").referral_code
    draws = iter([taken])
    drawn = members_service.random_code
    monkeypatch.setattr(members_service, "random_code", lambda length: next(draws, None) or drawn(length))
    orders = [
        {"order_id": f"n-{n}", "customer_id": f"new-{n}", "email": f"new{n}@example.com", "subtotal": "12.00",
         "currency": "USD"}
        for n in range(3)
    ]  # fmt: skip

    # when
    answers = _batch_answers(client_for(program), orders)

    # then every order is recorded, each new member with a code of their own, and c-0 keeps theirs
    assert [status for _order, status, _points, _pending in answers] == ["created"] * 3
    codes = dict(Member.objects.filter(program=program).values_list("customer_id", "referral_code"))
    assert codes["c-0"] == taken
    assert len(set(codes.values())) == len(codes) == 8
    assert Order.objects.filter(program=program, member__customer_id__startswith="new-").count() == 3
    assert_ledger_clean()


def test_the_answer_has_exactly_the_documented_shape(db):
    # given a batch with a new order, a replay, a refused item (field errors) and a refused order (no member)
    program = _program()
    api = client_for(program)
    post(api, BATCH, {"orders": _orders(1, prefix="old")})
    orders = [
        *_orders(1, prefix="new"),
        *_orders(1, prefix="old"),
        {"order_id": "bad", "customer_id": "c-1", "subtotal": "-1", "currency": "USD"},
        {"order_id": "lost", "customer_id": "nobody", "subtotal": "1.00", "currency": "USD"},
    ]

    # when it is sent
    answer = post(api, BATCH, {"orders": orders}).json()

    # then the answer is what the documented output serializer gives for it, key for key
    assert [r["status"] for r in answer["results"]] == ["created", "replayed", "error", "error"]
    assert answer["results"][2]["error"]["fields"]
    documented = json.loads(json.dumps(OrderBatchRecordApi.OutputSerializer(answer).data))
    assert answer == documented
