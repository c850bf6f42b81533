"""Bench fixtures and probes, run by `tests.bench.run` inside the bench environment (a throwaway PostgreSQL
database, `tests.bench.settings`):

    python -m tests.bench.prepare setup --customers N   # baseline table, seeded program, API key, wrk inputs
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
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from loyalty.models import Program  # noqa: E402
from loyalty.services.api_keys import api_key_issue  # noqa: E402
from members.bench_seed import REWARD_COST, REWARD_KEY  # noqa: E402
from members.models import Member, Order  # noqa: E402
from rewards.models import Reward  # noqa: E402
from storefront.shoppers import customer_digest  # noqa: E402
from tests.bench.views import BENCH_TABLE, BENCH_TABLE_DDL  # noqa: E402
from tests.factories.shopify import order_payload, raw, shopify_signature  # noqa: E402

SLUG = "bench"
CUSTOMER_ID = "bench-c-{}"
# Every seeded member is a signed-in shopper: widget.lua and browse.lua each take half, and a shopper who comes
# round again finds their answer kept, which would make a first-view run measure kept answers. A first-view round
# (20 s at ~450 builds/s on 2 cores, after a warm-up) asks ~10,000 shoppers: with only the `customers` the orders
# pick from (10,000, 5,000 a half) it came round within the round and only 29% of its answers were built. So the
# program gets SHOPPERS_PER_CUSTOMER times as many members (the orders still pick from the first `customers`): 3
# until a faster machine built ~1,000 answers a second and came round again (76% built), now 6.
SHOPPERS_PER_CUSTOMER = 6
SEEDED_ORDER_ID = r"^o[0-9]+-[0-9]+$"  # order ids of members.bench_seed
OUT_DIR = Path(__file__).resolve().parents[2] / "bench-results"


def bench_setup(*, customers: int, shopify_bodies: int) -> dict:
    """The bench program of `manage.py seed_bench` (1 point per dollar, sign-up points, a threshold bonus, a live
    double-points campaign, tiers, rewards, expiring lots) with `customers` members and their history, an API key,
    and the files the wrk scripts read: signed-in shoppers for the widget, members with points to redeem, and
    signed Shopify `orders/paid` deliveries."""
    with connection.cursor() as cursor:
        cursor.execute(BENCH_TABLE_DDL)
    seeded = SHOPPERS_PER_CUSTOMER * customers
    call_command("seed_bench", members=seeded, program=SLUG, verbosity=0)
    # seed_bench leaves every member in the lowest tier (the tiers bench's worst case). A live program's members
    # hold the tier their history earns, kept so by the nightly job: without this, a member's first order in the
    # run made the upgrade the job would have made (45% of the orders), so the order bench measured catch-up work.
    call_command("run_job", "recalculate_tiers", verbosity=0)
    program = Program.objects.get(slug=SLUG)
    _key, raw_key = api_key_issue(program=program, name="bench")
    members = Member.objects.filter(program=program).order_by("pk")
    shoppers = [
        f"{customer_id} {customer_digest(program=program, customer_id=customer_id)}"
        for customer_id in members.values_list("customer_id", flat=True)
    ]
    # Redeemers can afford many redemptions, so the run measures redemptions rather than `insufficient_points`.
    redeemers = members.filter(points_balance__gte=10 * REWARD_COST).values_list("customer_id", flat=True)
    files = {
        "shoppers_file": _lines("bench-shoppers.txt", shoppers),
        "redeemers_file": _lines("bench-redeemers.txt", list(redeemers[:customers])),
        "shopify_file": _lines("bench-shopify.txt", _shopify_deliveries(program, shopify_bodies)),
    }
    return {
        "program": SLUG,
        "api_key": raw_key,
        "public_key": program.public_key,
        "reward_id": Reward.objects.get(program=program, key=REWARD_KEY).pk,
        "customers": customers,
        "members": seeded,
        "shopify_bodies": shopify_bodies,
        **{name: str(path) for name, path in files.items()},
    }


def _lines(name: str, lines: list[str]) -> Path:
    path = OUT_DIR / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _shopify_deliveries(program: Program, count: int) -> list[str]:
    """`webhook id <TAB> signature <TAB> body` per line: `orders/paid` bodies as Shopify sends them, signed with
    the program's webhook secret (wrk's Lua has no HMAC, so they are signed here beforehand), one per request."""
    stamp = timezone.now().strftime("%H%M%S")
    lines = []
    for n in range(count):
        body = raw(
            order_payload(order_id=10**12 + n, customer_id=10**9 + n % 500, subtotal=f"{20 + n % 180}.{n % 100:02d}")
        )
        lines.append(f"bench-{stamp}-{n}\t{shopify_signature(program.webhook_secret, body)}\t{body.decode()}")
    return lines


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
    # As a serving worker is: the key's program, the rules and tiers, the webhook and challenge flags cached.
    _order_call(client, api_key=raw_key, order_id=f"probe-warm-{stamp}", customer_id=CUSTOMER_ID.format(1))
    existing = _order_call(client, api_key=raw_key, order_id=f"probe-a-{stamp}", customer_id=CUSTOMER_ID.format(0))
    new = _order_call(client, api_key=raw_key, order_id=f"probe-b-{stamp}", customer_id=f"probe-new-{stamp}")
    replay = _order_call(client, api_key=raw_key, order_id=f"probe-a-{stamp}", customer_id=CUSTOMER_ID.format(0))
    return {
        "existing_member": {"status": existing[0], "queries": len(existing[1]), "sql": existing[1]},
        "new_member": {"status": new[0], "queries": len(new[1]), "sql": new[1]},
        "replay": {"status": replay[0], "queries": len(replay[1])},
        **_other_endpoints(program, raw_key, stamp),
    }


def _other_endpoints(program: Program, api_key: str, stamp: str) -> dict:
    """The SQL statements of one call of each other measured endpoint, as wrk sends it."""
    member = Member.objects.filter(program=program, points_balance__gte=10 * REWARD_COST).order_by("pk").first()
    customer_id = member.customer_id
    shopper = {
        "HTTP_X_LOYALTY_PROGRAM": program.public_key,
        "HTTP_X_LOYALTY_CUSTOMER": customer_id,
        "HTTP_X_LOYALTY_DIGEST": customer_digest(program=program, customer_id=customer_id),
    }
    body = raw(order_payload(order_id=2 * 10**12 + int(stamp[-6:]), customer_id=10**9))
    calls = {
        "widget_me_first": lambda client: client.get("/api/widget/v1/me", **shopper),
        "widget_me_again": lambda client: client.get("/api/widget/v1/me", **shopper),
        "points_preview": lambda client: client.get("/api/widget/v1/points-preview?subtotal=49.99", **shopper),
        "redemption": lambda client: client.post(
            f"/api/v1/members/{customer_id}/redemptions",
            {"reward_id": Reward.objects.get(program=program, key=REWARD_KEY).pk},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {api_key}",
            HTTP_IDEMPOTENCY_KEY=f"probe-{stamp}",
        ),
        "shopify_webhook": lambda client: client.post(
            f"/webhooks/shopify/{program.public_key}/",
            body,
            content_type="application/json",
            HTTP_X_SHOPIFY_TOPIC="orders/paid",
            HTTP_X_SHOPIFY_WEBHOOK_ID=f"probe-{stamp}",
            HTTP_X_SHOPIFY_HMAC_SHA256=shopify_signature(program.webhook_secret, body),
        ),
    }
    client = Client(HTTP_HOST="127.0.0.1")
    probes = {}
    for name, call in calls.items():
        with CaptureQueriesContext(connection) as queries:
            status = call(client).status_code
        probes[name] = {"status": status, "queries": len(queries.captured_queries)}
    return probes


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
    written = Order.objects.filter(program__slug=SLUG).exclude(order_id__regex=SEEDED_ORDER_ID)  # seed_bench's
    return {"orders": written.count(), "baseline_rows": baseline_rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["setup", "queries", "count", "profile"])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--shopify-bodies", type=int, default=5000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--out", default="order-profile.txt")
    args = parser.parse_args()
    if args.step == "setup":
        result = bench_setup(customers=args.customers, shopify_bodies=args.shopify_bodies)
    elif args.step == "queries":
        result = order_queries()
    elif args.step == "profile":
        result = order_profile(calls=args.calls, out=args.out)
    else:
        result = rows_written()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
