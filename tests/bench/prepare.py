"""Bench fixtures and probes, run by `tests.bench.run` inside the bench environment (a throwaway PostgreSQL
database, `tests.bench.settings`):

    python -m tests.bench.prepare setup --customers N   # baseline table, program, API key, member pool
    python -m tests.bench.prepare queries               # SQL queries per order call, existing + new member
    python -m tests.bench.prepare count                 # orders and baseline rows written
    python -m tests.bench.prepare profile --out FILE    # in-process cost of one order vs one baseline insert

Each prints one JSON object on its last line."""

import argparse
import cProfile
import io
import json
import os
import pstats
import time
from datetime import timedelta
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from loyalty.choices import RuleType  # noqa: E402
from loyalty.models import EarningRule, Merchant, Program, Tier  # noqa: E402
from loyalty.services.api_keys import api_key_issue  # noqa: E402
from members.models import Order  # noqa: E402
from members.services.members import member_upsert  # noqa: E402
from tests.bench.views import BENCH_TABLE, BENCH_TABLE_DDL  # noqa: E402

SLUG = "bench"
CUSTOMER_ID = "bench-c-{}"


def bench_setup(*, customers: int) -> dict:
    """A program like a real shop's: 1 point per dollar, sign-up points, a threshold bonus, a live double-points
    campaign and three tiers; `customers` members already signed up."""
    with connection.cursor() as cursor:
        cursor.execute(BENCH_TABLE_DDL)
    now = timezone.now()
    program = Program.objects.create(
        merchant=Merchant.objects.create(name="Bench Coffee"), slug=SLUG, name="Bench Rewards", currency="USD"
    )
    EarningRule.objects.bulk_create(
        [
            EarningRule(program=program, key="signup", type=RuleType.SIGNUP, points=100),
            EarningRule(
                program=program, key="big", type=RuleType.ORDER_THRESHOLD, min_subtotal=Decimal("100"), points=50
            ),
            EarningRule(
                program=program,
                key="double",
                type=RuleType.BONUS_MULTIPLIER,
                multiplier=Decimal("2"),
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=7),
            ),
        ]
    )
    Tier.objects.bulk_create(
        [
            Tier(program=program, key="green", name="Green", position=0, threshold=Decimal("0")),
            Tier(
                program=program,
                key="gold",
                name="Gold",
                position=1,
                threshold=Decimal("500"),
                multiplier=Decimal("1.25"),
            ),
            Tier(
                program=program,
                key="black",
                name="Black",
                position=2,
                threshold=Decimal("5000"),
                multiplier=Decimal("1.5"),
            ),
        ]
    )
    for n in range(customers):
        member_upsert(program=program, customer_id=CUSTOMER_ID.format(n), email=f"c{n}@example.com")
    _key, raw_key = api_key_issue(program=program, name="bench")
    return {"program": SLUG, "api_key": raw_key, "customers": customers}


def _order_call(client: Client, *, api_key: str, order_id: str, customer_id: str) -> tuple[int, list[dict]]:
    body = {
        "order_id": order_id,
        "customer_id": customer_id,
        "email": f"{customer_id}@example.com",
        "subtotal": "42.50",
        "currency": "USD",
    }
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/api/v1/orders", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api_key}"
        )
    return response.status_code, [{"ms": float(q["time"]) * 1000, "sql": q["sql"]} for q in queries.captured_queries]


def order_queries() -> dict:
    """How many SQL statements one order costs, through the whole Django stack (middleware, auth, throttle)."""
    program = Program.objects.get(slug=SLUG)
    _key, raw_key = api_key_issue(program=program, name="bench-probe")
    client = Client(HTTP_HOST="127.0.0.1")
    stamp = timezone.now().strftime("%H%M%S%f")
    existing = _order_call(client, api_key=raw_key, order_id=f"probe-a-{stamp}", customer_id=CUSTOMER_ID.format(0))
    new = _order_call(client, api_key=raw_key, order_id=f"probe-b-{stamp}", customer_id=f"probe-new-{stamp}")
    replay = _order_call(client, api_key=raw_key, order_id=f"probe-a-{stamp}", customer_id=CUSTOMER_ID.format(0))
    return {
        "existing_member": {"status": existing[0], "queries": len(existing[1]), "sql": existing[1]},
        "new_member": {"status": new[0], "queries": len(new[1]), "sql": new[1]},
        "replay": {"status": replay[0], "queries": len(replay[1])},
    }


def _timed_posts(client: Client, path: str, bodies: list[dict], *, api_key: str) -> tuple[float, float, float]:
    """Wall, SQL and CPU milliseconds per call, for calls through the whole Django stack in this process."""
    sql_seconds = 0.0

    def timed(execute, sql, params, many, context):
        nonlocal sql_seconds
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_seconds += time.perf_counter() - start

    start, cpu_start = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(timed):
        for body in bodies:
            response = client.post(path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {api_key}")
            assert response.status_code in (200, 201), response.content
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return wall / len(bodies) * 1000, sql_seconds / len(bodies) * 1000, cpu / len(bodies) * 1000


def _bodies(prefix: str, count: int) -> list[dict]:
    return [
        {
            "order_id": f"{prefix}-{n}",
            "customer_id": CUSTOMER_ID.format(n % 100),
            "email": f"c{n % 100}@example.com",
            "subtotal": "42.50",
            "currency": "USD",
        }
        for n in range(count)
    ]


def order_profile(*, calls: int, out: str) -> dict:
    """Where the time of an order goes, single-threaded with no load generator: wall vs SQL time per call for
    the order API and the one-row-insert baseline, and a cProfile of the order calls written to `out`."""
    program = Program.objects.get(slug=SLUG)
    _key, raw_key = api_key_issue(program=program, name="bench-profile")
    client = Client(HTTP_HOST="127.0.0.1")
    stamp = timezone.now().strftime("%H%M%S%f")
    _timed_posts(client, "/api/v1/orders", _bodies(f"warm-{stamp}", 20), api_key=raw_key)
    order = _timed_posts(client, "/api/v1/orders", _bodies(f"time-{stamp}", calls), api_key=raw_key)
    insert = _timed_posts(client, "/bench/insert", _bodies(f"ins-{stamp}", calls), api_key=raw_key)
    profiler = cProfile.Profile()
    profiler.enable()
    _timed_posts(client, "/api/v1/orders", _bodies(f"prof-{stamp}", calls), api_key=raw_key)
    profiler.disable()
    report = io.StringIO()
    stats = pstats.Stats(profiler, stream=report)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(40)
    with open(out, "w") as handle:
        handle.write(report.getvalue())
    return {
        **{f"order_{part}": round(value, 2) for part, value in zip(("ms", "sql_ms", "cpu_ms"), order, strict=True)},
        **{f"insert_{part}": round(value, 2) for part, value in zip(("ms", "sql_ms", "cpu_ms"), insert, strict=True)},
    }


def rows_written() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {BENCH_TABLE}")
        (baseline_rows,) = cursor.fetchone()
    return {"orders": Order.objects.filter(program__slug=SLUG).count(), "baseline_rows": baseline_rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["setup", "queries", "count", "profile"])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--out", default="order-profile.txt")
    args = parser.parse_args()
    if args.step == "setup":
        result = bench_setup(customers=args.customers)
    elif args.step == "queries":
        result = order_queries()
    elif args.step == "profile":
        result = order_profile(calls=args.calls, out=args.out)
    else:
        result = rows_written()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
