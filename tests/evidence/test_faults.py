"""Fault tests: a worker killed mid-job, the database connection dropped mid-request, the broker down,
duplicate and out-of-order deliveries, and shop clocks that run ahead."""

import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

import members.services.orders as orders_service
from config.celery import app as celery_app
from members.models import Member, Order, Refund, Transaction
from members.services.members import member_upsert
from tests.conftest import client_for, postgres_only
from tests.factories import ProgramFactory
from tests.members.api.conftest import post, row_counts

ROOT = Path(__file__).resolve().parents[2]
ORDER = {"order_id": "f-1", "customer_id": "c-1", "subtotal": "80.00", "currency": "USD"}

# A worker process that records an order and is SIGKILLed after the ledger row is written, before commit.
KILLED_WORKER = textwrap.dedent(
    """
    import os, signal, django
    django.setup()
    from decimal import Decimal
    import members.services.orders as orders
    from loyalty.models import Program

    real_order_write = orders._order_write

    def order_write_then_die(**kwargs):
        real_order_write(**kwargs)
        os.kill(os.getpid(), signal.SIGKILL)

    orders._order_write = order_write_then_die
    orders.order_record(program=Program.objects.get(pk=int(os.environ["PROGRAM_ID"])), order_id="f-1",
                        customer_id="c-1", subtotal=Decimal("80.00"), currency="USD")
    """
)


def _test_database_url() -> str:
    settings = connection.settings_dict
    return (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    )


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_job_leaves_nothing_and_the_rerun_awards_once(assert_ledger_clean):
    # given a member, and a worker process killed (SIGKILL) after writing the points, before committing
    program = ProgramFactory()
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "PROGRAM_ID": str(program.pk)}
    killed = subprocess.run([sys.executable, "-c", KILLED_WORKER], cwd=ROOT, env=env, timeout=120)
    assert killed.returncode == -signal.SIGKILL
    assert not Order.objects.exists() and not Transaction.objects.filter(order__isnull=False).exists()

    # when the job is redelivered (acks late) and runs again, twice
    first = orders_service.order_record(
        program=program, order_id="f-1", customer_id="c-1", subtotal="80.00", currency="USD"
    )
    second = orders_service.order_record(
        program=program, order_id="f-1", customer_id="c-1", subtotal="80.00", currency="USD"
    )

    # then the order and its points exist exactly once
    assert (first.created, second.created) == (True, False)
    assert Order.objects.count() == 1
    assert Member.objects.get(customer_id="c-1").points_balance == 80
    assert_ledger_clean()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_connection_dropped_mid_request_writes_nothing_and_the_retry_works(monkeypatch, assert_ledger_clean):
    # given a member, and the database connection terminated by the server right after the ledger write
    program = ProgramFactory()
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    api = client_for(program)
    counts = row_counts()
    real_order_write = orders_service._order_write

    def order_write_then_drop(**kwargs):
        written = real_order_write(**kwargs)
        backend = connection.cursor().connection.info.backend_pid
        with psycopg.connect(_test_database_url(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [backend])
        return written

    monkeypatch.setattr(orders_service, "_order_write", order_write_then_drop)

    # when the order comes in
    dropped = post(api, "/api/v1/orders", ORDER)

    # then the answer says so clearly and nothing was written
    assert dropped.status_code == 503
    assert dropped.json()["error"]["code"] == "service_unavailable"
    assert dropped["Retry-After"] == "1"
    connection.close()
    assert row_counts() == counts

    # and the client's retry, once the database is back, records the order once
    monkeypatch.setattr(orders_service, "_order_write", real_order_write)
    retried = post(api, "/api/v1/orders", ORDER)
    assert retried.status_code == 201
    assert retried.json()["member"]["points_balance"] == 80
    assert_ledger_clean()


def test_with_the_broker_down_the_api_still_answers(api, program, monkeypatch, settings):
    # given a broker nobody listens on and tasks really sent to it
    settings.HEALTH_CHECK_TIMEOUT = 0.5
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:9/0")
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")

    # when an order and a refund come in, and the health endpoint is probed
    order = post(api, "/api/v1/orders", ORDER)
    refund = post(api, "/api/v1/orders/f-1/refunds", {"refund_id": "r-1", "amount": "20.00"})
    health = api.get("/healthz")

    # then the API records them (they need no broker) and the health endpoint reports the broker
    assert order.status_code == 201 and refund.status_code == 201
    assert refund.json()["points_reversed"] == 20
    assert health.status_code == 503 and health.json()["checks"]["broker"] == "error"


def test_a_refund_before_its_order_is_a_clear_404_and_works_once_the_order_arrives(api, program, assert_ledger_clean):
    # given a member and no order yet
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    counts = row_counts()

    # when the refund is delivered before its order
    early = post(api, "/api/v1/orders/f-1/refunds", {"refund_id": "r-1", "amount": "20.00"})

    # then it is refused clearly and writes nothing
    assert early.status_code == 404
    assert early.json()["error"]["code"] == "order_not_found"
    assert row_counts() == counts

    # when the order arrives, then the same refund is redelivered twice
    post(api, "/api/v1/orders", ORDER)
    late = post(api, "/api/v1/orders/f-1/refunds", {"refund_id": "r-1", "amount": "20.00"})
    duplicate = post(api, "/api/v1/orders/f-1/refunds", {"refund_id": "r-1", "amount": "20.00"})

    # then the refund is applied once
    assert (late.status_code, duplicate.status_code) == (201, 200)
    assert duplicate.json() == late.json()
    assert Refund.objects.count() == 1
    assert Member.objects.get(customer_id="c-1").points_balance == 80 - 20
    assert_ledger_clean()


def test_duplicate_order_deliveries_award_once(api, program, assert_ledger_clean):
    # given a member
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")

    # when the shop delivers the same order three times
    answers = [post(api, "/api/v1/orders", ORDER) for _ in range(3)]

    # then it is recorded once and the redeliveries get the first answer
    assert [answer.status_code for answer in answers] == [201, 200, 200]
    assert answers[1].json()["points_awarded"] == answers[0].json()["points_awarded"] == 80
    assert Member.objects.get(customer_id="c-1").points_balance == 80
    assert_ledger_clean()


def test_a_shop_clock_a_few_hours_ahead_is_accepted_and_days_ahead_refused(api, program):
    # given a member
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    skewed = (timezone.now() + timedelta(hours=3)).isoformat()
    far = (timezone.now() + timedelta(days=3)).isoformat()

    # when an order stamped 3 hours ahead and one stamped 3 days ahead arrive
    ahead = post(api, "/api/v1/orders", {**ORDER, "placed_at": skewed})
    counts = row_counts()
    future = post(api, "/api/v1/orders", {**ORDER, "order_id": "f-2", "placed_at": far})

    # then the small skew is tolerated and the impossible date is refused without writes
    assert ahead.status_code == 201
    assert future.status_code == 400
    assert future.json()["error"]["fields"]["placed_at"] == ["Must be between 1970 and now."]
    assert row_counts() == counts


def test_pending_points_of_a_skewed_order_still_count_from_its_placed_at(program):
    # given a program whose points stay pending 14 days and an order stamped 3 hours ahead
    program.pending_days = 14
    program.save(update_fields=["pending_days"])
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    placed_at = timezone.now() + timedelta(hours=3)

    # when it is recorded
    result = orders_service.order_record(
        program=program, order_id="f-1", customer_id="c-1", subtotal="50.00", currency="USD", placed_at=placed_at
    )

    # then its points are pending until placed_at + 14 days, never earlier
    earn = Transaction.objects.get(order=result.order)
    assert result.order.points_status == "pending"
    assert earn.activates_at == placed_at + timedelta(days=14)
