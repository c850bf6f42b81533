"""`POST /api/v1/orders/batch`: per-item results identical to single calls, idempotent, bounded envelope."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from loyalty.choices import RuleType
from members.models import Member, Order
from members.services.members import member_upsert
from tests.conftest import client_for, postgres_only
from tests.factories import EarningRuleFactory, ProgramFactory
from tests.members.api.conftest import post, row_counts

BATCH = "/api/v1/orders/batch"


def _orders() -> list:
    """A mix a shop import sends: new buyers, a known member twice, a replay inside the batch, bad items."""
    return [
        {"order_id": "o-1", "customer_id": "c-1", "subtotal": "49.99", "currency": "USD"},
        {"order_id": "o-2", "customer_id": "new-1", "email": "n1@example.com", "subtotal": "120.00", "currency": "USD"},
        {"order_id": "o-3", "customer_id": "c-1", "subtotal": "10.50", "currency": "usd"},
        {"order_id": "o-1", "customer_id": "c-1", "subtotal": "999.00", "currency": "USD"},
        {"order_id": "o-4", "customer_id": "ghost", "subtotal": "5.00", "currency": "USD"},
        {"order_id": "o-5", "customer_id": "c-1", "subtotal": "5.00", "currency": "EUR"},
        {"order_id": "o-6", "customer_id": "c-1", "subtotal": "-1", "currency": "USD"},
        {
            "order_id": "o-7",
            "customer_id": "c-1",
            "subtotal": "250.00",
            "currency": "USD",
            "placed_at": "2026-01-01T00:00:00Z",
        },
    ]


def _program_with_rules():
    program = ProgramFactory()
    EarningRuleFactory(program=program, type=RuleType.ORDER_THRESHOLD, points=50, min_subtotal=Decimal("100"))
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    return program


def _single_outcome(response) -> dict:
    body = response.json()
    if response.status_code >= 400:
        return {"status": "error", "code": body["error"]["code"]}
    status = "created" if response.status_code == 201 else "replayed"
    return {"status": status, "points_awarded": body["points_awarded"], "points_status": body["points_status"]}


def _batch_outcome(result: dict) -> dict:
    if result["status"] == "error":
        return {"status": "error", "code": result["error"]["code"]}
    return {key: result[key] for key in ("status", "points_awarded", "points_status")}


def _balances(program) -> dict:
    return dict(Member.objects.filter(program=program).values_list("customer_id", "points_balance"))


def test_a_batch_answers_per_item_what_single_calls_answer(db, assert_ledger_clean):
    # given two identical programs (a threshold bonus rule, one member)
    single_program, batch_program = _program_with_rules(), _program_with_rules()
    single_api, batch_api = client_for(single_program), client_for(batch_program)

    # when the same orders go one by one to one program and as one batch to the other
    singles = [_single_outcome(post(single_api, "/api/v1/orders", order)) for order in _orders()]
    response = post(batch_api, BATCH, {"orders": _orders()})

    # then every item's outcome, the balances and the ledger are the same
    assert response.status_code == 200
    body = response.json()
    assert [_batch_outcome(result) for result in body["results"]] == singles
    assert [result["order_id"] for result in body["results"]] == [order["order_id"] for order in _orders()]
    assert (body["created"], body["replayed"], body["errors"]) == (4, 1, 3)
    assert _balances(batch_program) == _balances(single_program)
    assert _balances(batch_program)["new-1"] == 120 + 50
    assert_ledger_clean()


def test_a_bad_item_reports_the_error_a_single_call_would_give_and_sinks_nothing(api, program):
    # given a member
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")

    # when a batch mixes a good order, an unknown customer, a wrong currency and garbage
    response = post(
        api,
        BATCH,
        {
            "orders": [
                {"order_id": "ok", "customer_id": "c-1", "subtotal": "10.00", "currency": "USD"},
                {"order_id": "nobody", "customer_id": "ghost", "subtotal": "10.00", "currency": "USD"},
                {"order_id": "eur", "customer_id": "c-1", "subtotal": "10.00", "currency": "EUR"},
                "not an order",
                None,
                {"order_id": "x" * 300, "customer_id": "c-1", "subtotal": "1", "currency": "USD"},
            ]
        },
    )

    # then the good order is recorded and each bad one says why, with the stable codes
    results = response.json()["results"]
    assert results[0] == {"order_id": "ok", "status": "created", "points_awarded": 10, "points_status": "active"}
    assert [r["error"]["code"] for r in results[1:]] == [
        "member_not_found",
        "currency_mismatch",
        "invalid_input",
        "invalid_input",
        "invalid_input",
    ]
    assert results[2]["error"]["fields"] == {"currency": ["Must be USD."]}
    assert results[3]["order_id"] is None and results[4]["order_id"] is None
    assert "order_id" in results[5]["error"]["fields"]
    assert list(Order.objects.values_list("order_id", flat=True)) == ["ok"]


def test_the_same_batch_again_replays_every_item_and_writes_nothing(api, program, assert_ledger_clean):
    # given a recorded batch
    orders = [
        {
            "order_id": f"r-{n}",
            "customer_id": f"c-{n % 3}",
            "email": f"c{n % 3}@example.com",
            "subtotal": "20.00",
            "currency": "USD",
        }
        for n in range(10)
    ]
    first = post(api, BATCH, {"orders": orders}).json()
    counts = row_counts()

    # when the import is retried
    again = post(api, BATCH, {"orders": orders}).json()

    # then every item is a replay with the first points and nothing is written
    assert first["created"] == 10
    assert again["replayed"] == 10
    assert [r["points_awarded"] for r in again["results"]] == [r["points_awarded"] for r in first["results"]]
    assert row_counts() == counts
    assert_ledger_clean()


@pytest.mark.parametrize(
    "body",
    [
        {"orders": []},
        {"orders": "o-1"},
        {},
        [],
        {
            "orders": [
                {"order_id": f"big-{n}", "customer_id": "c", "subtotal": "1", "currency": "USD"} for n in range(1001)
            ]
        },
    ],
    ids=["empty", "not-a-list", "no-orders", "not-an-object", "1001-items"],
)
def test_a_bad_envelope_is_a_400_and_writes_nothing(api, program, body):
    # given a program
    counts = row_counts()

    # when the envelope itself is wrong (too many items included)
    response = post(api, BATCH, body)

    # then nothing is processed
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert row_counts() == counts


def test_one_thousand_items_are_accepted_and_each_is_processed(api, program):
    # given 1,000 orders, each in a currency the program does not count in (cheap to refuse, so CI stays fast)
    orders = [
        {
            "order_id": f"k-{n}",
            "customer_id": f"k-{n}",
            "email": f"k{n}@example.com",
            "subtotal": "3.00",
            "currency": "EUR",
        }
        for n in range(1000)
    ]
    counts = row_counts()

    # when they come in one batch
    response = post(api, BATCH, {"orders": orders})

    # then the envelope is accepted and every item got its own result
    assert response.status_code == 200
    body = response.json()
    assert body["errors"] == 1000
    assert {result["error"]["code"] for result in body["results"]} == {"currency_mismatch"}
    assert row_counts() == counts


def test_a_batch_touches_only_its_own_program(api, program):
    # given another program with a member and an order of the same ids
    other = ProgramFactory()
    member_upsert(program=other, customer_id="c-1", email="c1@example.com")
    post(
        client_for(other),
        "/api/v1/orders",
        {"order_id": "o-1", "customer_id": "c-1", "subtotal": "10", "currency": "USD"},
    )

    # when this program's batch uses the same order and customer ids
    body = post(
        api, BATCH, {"orders": [{"order_id": "o-1", "customer_id": "c-1", "subtotal": "10", "currency": "USD"}]}
    ).json()

    # then the other program's member is not found here and its order is not replayed
    assert body["results"][0]["error"]["code"] == "member_not_found"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_batch_sent_twice_at_once_records_every_order_once(assert_ledger_clean):
    # given a program and a batch of orders for a few members
    program = ProgramFactory()
    orders = [
        {
            "order_id": f"p-{n}",
            "customer_id": f"c-{n % 4}",
            "email": f"c{n % 4}@example.com",
            "subtotal": "15.00",
            "currency": "USD",
        }
        for n in range(40)
    ]
    clients = [client_for(program), client_for(program)]
    answers = []

    def send(client):
        try:
            answers.append(post(client, BATCH, {"orders": orders}).json())
        finally:
            connection.close()

    # when the import job retries while the first attempt is still running
    threads = [threading.Thread(target=send, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then every order is created exactly once across both answers and the ledger balances
    assert sum(answer["created"] for answer in answers) == 40
    assert sum(answer["replayed"] for answer in answers) == 40
    assert Order.objects.filter(program=program).count() == 40
    assert sum(_balances(program).values()) == 40 * 15
    assert_ledger_clean()
