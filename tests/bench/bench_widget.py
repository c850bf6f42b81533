"""Widget bench: `GET /api/widget/v1/me` through the real HTTP stack (gunicorn, production settings, PostgreSQL)
beside the bare Django JSON endpoint in the same run, same workers, same load.

    python -m tests.bench.bench_widget [--quick] [--members N] [--duration S] [--no-docs]

It creates a throwaway PostgreSQL database (as `tests.bench.run` does), a program with tiers, rewards and
N members each with a short history (orders, a redemption), then lets wrk ask for `me` as a different signed-in
shopper on every request. The throttles run on every call but are set too high to refuse the load. Prints a
table and one JSON line, and (unless --quick or --no-docs) rewrites the `## Widget` section of docs/benchmarks.md.
Target: `me` at >= 60 % of the bare endpoint's requests/s. `prepare` (run inside the bench environment) builds
the data, reports the SQL statements of one `me` call and times `me` in-process, its answer cached and not."""

import argparse
import json
import os
import sys
from pathlib import Path

import psycopg

from tests.bench.common import DOCS, docs_section_write
from tests.bench.run import (
    LOG_DIR,
    LUA_SCRIPT,
    PYTHON,
    ROOT,
    _cpu_ms,
    bench_env,
    broker_url,
    gunicorn,
    log,
    machine,
    run_json,
    server_cpu,
    throwaway_database,
)

WIDGET_LUA = Path(__file__).with_name("widget.lua")
TARGET_RATIO = 0.6
SECTION = "## Widget"
WARMUP_ASKS = 5


def prepare(members: int, shoppers_file: Path) -> dict:
    """Inside the bench environment: the program, its members and their history, through the real services."""
    import django

    django.setup()
    from decimal import Decimal

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from loyalty.models import Merchant, Program, Tier
    from members.models import Member
    from members.services.orders import order_record
    from rewards.models import Reward
    from rewards.services.redemptions import reward_redeem
    from storefront.shoppers import customer_digest

    program = Program.objects.create(
        merchant=Merchant.objects.create(name="Widget bench"), slug="widget-bench", name="Bench", currency="USD"
    )
    for position, (key, threshold) in enumerate([("bronze", 0), ("silver", 500), ("gold", 2000)]):
        Tier.objects.create(program=program, key=key, name=key.title(), position=position, threshold=threshold)
    rewards = [
        Reward.objects.create(
            program=program, key=f"r{i}", name=f"Reward {i}", type="fixed_discount", value=5, points_cost=100 * (i + 1)
        )
        for i in range(8)
    ]
    lines = []
    for n in range(members):
        customer_id = f"w-{n}"
        for k in range(4):
            result = order_record(
                program=program,
                order_id=f"{customer_id}-{k}",
                customer_id=customer_id,
                subtotal=Decimal(60 + 17 * k),
                currency="USD",
                email=f"{customer_id}@example.com",
            )
        reward_redeem(member=result.member, reward=rewards[0])
        lines.append(f"{customer_id} {customer_digest(program=program, customer_id=customer_id)}")
    shoppers_file.write_text("\n".join(lines) + "\n")
    client = Client(
        HTTP_X_LOYALTY_PROGRAM=program.public_key,
        HTTP_X_LOYALTY_CUSTOMER="w-0",
        HTTP_X_LOYALTY_DIGEST=lines[0].split()[1],
    )
    with CaptureQueriesContext(connection) as queries:
        status = client.get("/api/widget/v1/me", HTTP_HOST="127.0.0.1").status_code
    with CaptureQueriesContext(connection) as cached_queries:
        client.get("/api/widget/v1/me", HTTP_HOST="127.0.0.1")
    return {
        "public_key": program.public_key,
        "shoppers_file": str(shoppers_file),
        "members": members,
        "me_status": status,
        "me_queries": len(queries.captured_queries),
        "me_cached_queries": len(cached_queries.captured_queries),
        "statements": [q["sql"][:160] for q in queries.captured_queries],
        "in_process": _in_process(client, member_id=Member.objects.get(program=program, customer_id="w-0").pk),
    }


def _in_process(client, *, member_id: int, calls: int = 300) -> dict:
    """CPU milliseconds per call in this process, no load generator: `me` answered from the cache, `me` built
    (its cache entry dropped before each call) and the bare JSON endpoint, through the same middleware."""
    import time

    from django.core.cache import cache
    from django.test import Client

    from storefront.widget.caching import me_cache_key

    def cpu_ms(call) -> float:
        call()
        started = time.process_time()
        for _ in range(calls):
            call()
        return round((time.process_time() - started) / calls * 1000, 3)

    def uncached():
        cache.delete(me_cache_key(member_id))
        client.get("/api/widget/v1/me", HTTP_HOST="127.0.0.1")

    bare = Client()
    return {
        "me_cached_ms": cpu_ms(lambda: client.get("/api/widget/v1/me", HTTP_HOST="127.0.0.1")),
        "me_uncached_ms": cpu_ms(uncached),
        "bare_ms": cpu_ms(
            lambda: bare.post(
                "/bench/json", '{"order_id": "x"}', content_type="application/json", HTTP_HOST="127.0.0.1"
            )
        ),
    }


def _wrk(url: str, *, script: Path, seconds: int, connections: int, env: dict) -> dict:
    import subprocess

    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH_JSON "))
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    return {
        "requests": raw["requests"],
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "non_2xx": raw["non_2xx"] + raw["socket_errors"],
    }


def _prime(url: str, setup: dict, *, asks: int, threads: int) -> int:
    """Ask every shopper's `me` `asks` times, `threads` at a time; the number of 200 answers."""
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    shoppers = [line.split() for line in Path(setup["shoppers_file"]).read_text().splitlines() if line.strip()]

    def ask(shopper) -> bool:
        customer_id, digest = shopper
        headers = {
            "X-Loyalty-Program": setup["public_key"],
            "X-Loyalty-Customer": customer_id,
            "X-Loyalty-Digest": digest,
        }
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as response:
            return response.status == 200

    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(ask, shoppers * asks))


def widget_bench(
    *, env: dict, server, server_workers: int, setup: dict, seconds: int, warmup: int, rounds: int, connections: int
) -> dict:
    """The bare endpoint and `me`, interleaved round by round; each keeps its best round. The warm-up asks every
    shopper's `me` several times per worker, so that the rounds see answers each worker has cached already, as
    it would for shoppers browsing a shop. Server CPU per request (gunicorn workers and their PostgreSQL backends,
    from /proc) is measured round by round: on a shared machine it moves less than req/s."""
    wrk_env = {**env, "BENCH_PUBLIC_KEY": setup["public_key"], "BENCH_SHOPPERS_FILE": setup["shoppers_file"]}
    scenarios = {
        "bare JSON": (server.base + "/bench/json", LUA_SCRIPT),
        "GET /api/widget/v1/me": (server.base + "/api/widget/v1/me", WIDGET_LUA),
    }
    _wrk(scenarios["bare JSON"][0], script=LUA_SCRIPT, seconds=warmup, connections=connections, env=wrk_env)
    # Each request lands on any worker: asking every shopper WARMUP_ASKS times per worker leaves about
    # e^-WARMUP_ASKS of the (shopper, worker) pairs without a cached answer.
    asked = _prime(server.base + "/api/widget/v1/me", setup, asks=server_workers * WARMUP_ASKS, threads=connections)
    log(f"warm-up: {asked} `me` calls for {setup['members']} shoppers on {server_workers} workers")
    best: dict[str, dict] = {}
    load_average = os.getloadavg()[0]
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db:
        for round_no in range(1, rounds + 1):
            for name, (url, script) in scenarios.items():
                before = server_cpu(server, db)
                result = _wrk(url, script=script, seconds=seconds, connections=connections, env=wrk_env)
                after = server_cpu(server, db)
                result["cpu_ms"] = _cpu_ms(before["web"], after["web"], result["requests"]) + _cpu_ms(
                    before["db"], after["db"], result["requests"]
                )
                result["db_cpu_ms"] = _cpu_ms(before["db"], after["db"], result["requests"])
                load_average = max(load_average, os.getloadavg()[0])
                log(
                    f"round {round_no} {name}: {result['rps']:.0f} req/s, p99 {result['p99_ms']:.1f} ms, "
                    f"{result['cpu_ms']:.2f} CPU ms/req, non-2xx {result['non_2xx']}"
                )
                if name not in best or result["rps"] > best[name]["rps"]:
                    best[name] = result
    bare, me = best["bare JSON"], best["GET /api/widget/v1/me"]
    return {
        "bare": bare,
        "me": me,
        "ratio": me["rps"] / bare["rps"],
        "cpu_ratio": bare["cpu_ms"] / me["cpu_ms"],
        "me_queries": setup["me_queries"],
        "me_cached_queries": setup["me_cached_queries"],
        "in_process": setup["in_process"],
        "load_average": round(load_average, 1),
        "cpus": os.cpu_count(),
    }


def table(result: dict) -> str:
    rows = [
        "| endpoint | req/s | p50 ms | p99 ms | server CPU ms/req | of which PostgreSQL | non-2xx |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, key in (("bare Django JSON", "bare"), ("GET /api/widget/v1/me", "me")):
        r = result[key]
        rows.append(
            f"| {name} | {r['rps']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['cpu_ms']:.2f} "
            f"| {r['db_cpu_ms']:.2f} | {r['non_2xx']} |"
        )
    verdict = "met" if result["ratio"] >= TARGET_RATIO else "NOT met"
    rows.append(
        f"\n`me` / bare: **{result['ratio']:.0%} of the requests/s** (target ≥ {TARGET_RATIO:.0%}: {verdict}); "
        f"by server CPU per request {result['cpu_ratio']:.0%}. SQL statements per `me`: "
        f"{result['me_cached_queries']} while its answer is cached, {result['me_queries']} to build it."
    )
    return "\n".join(rows)


def section(result: dict, *, args, machine_line: str) -> str:
    import subprocess
    from datetime import UTC, datetime

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    inproc = result["in_process"]
    return f"""{SECTION}

Measured by `python -m tests.bench.bench_widget` (also run by `make bench`) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC
at commit `{commit.stdout.strip() or "?"}`; 1-minute load average up to {result["load_average"]} on {result["cpus"]} cores
while it ran (other engineers' test suites: absolute figures scale with that load, the ratios measured in the
same rounds are the figures to compare).

{table(result)}

- In one process with no load generator (CPU per call): `me` answered from the cache {inproc["me_cached_ms"]:.2f} ms,
  `me` built {inproc["me_uncached_ms"]:.2f} ms, the bare JSON endpoint {inproc["bare_ms"]:.2f} ms.
- A cached `me` runs one indexed statement: the member's version (member row, active codes, stock of limited
  rewards, the program's catalog token; `storefront/widget/selectors.py`), compared with the version the cached
  answer was built for; the rendered body is sent as it is. Building it runs {result["me_queries"]} (the program
  when not cached, the version, member with program and tier, tier standing, recent transactions, rewards,
  active codes, next lot to expire).
- The answer is kept per worker process (the default local-memory cache, as the bench serves it): the warm-up asks
  every shopper's `me` in every worker, as shoppers browsing a shop would. `CACHE_URL=redis://…` shares it
  between workers (one build per change instead of one per worker) at one network round trip per cache read.

Machine: {machine_line}.

Method: gunicorn `config.wsgi` with {args.workers} sync workers, settings `tests.bench.settings` (production over plain
HTTP; widget throttles raised so they never refuse, though they run on every call), a throwaway PostgreSQL database
with {args.members} members (4 orders and a redemption each), 8 rewards and 3 tiers. wrk with {args.connections}
connections: `tests/bench/widget.lua` asks `me` as a different signed-in shopper on every request (customer id and
digest headers), `tests/bench/orders.lua` posts a small JSON body to the bare endpoint; {args.warmup} s of warm-up
each, then {args.rounds} interleaved rounds of {args.duration} s; the best round of each is shown. Server CPU is
the user + system time of the gunicorn workers and of the database's PostgreSQL backends over the round, per
request.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", default="run", choices=["run", "prepare"])
    parser.add_argument("--quick", action="store_true", help="short run; docs/benchmarks.md is left as it is")
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--members", type=int)
    parser.add_argument("--duration", type=int)
    parser.add_argument("--warmup", type=int)
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--shoppers-file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.members = args.members or (50 if args.quick else 100)
    args.duration = args.duration or (5 if args.quick else 15)
    args.warmup = args.warmup or (3 if args.quick else 8)
    args.rounds = args.rounds or (1 if args.quick else 3)
    if args.command == "prepare":
        print(json.dumps(prepare(args.members, Path(args.shoppers_file))))
        return
    LOG_DIR.mkdir(exist_ok=True)
    with throwaway_database() as database_url:
        env = bench_env(database_url, broker_url())
        # The throttles run on every call (their cost is measured) but never refuse the bench's load.
        env.update(WIDGET_SHOPPER_THROTTLE_RATE="1000000000/min", WIDGET_IP_THROTTLE_RATE="1000000000/min")
        import subprocess

        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
        # Its own file: another bench may be writing its shoppers into bench-results/ at the same time.
        shoppers_file = LOG_DIR / f"widget-shoppers-{os.getpid()}.txt"
        setup = run_json(
            env,
            *("-m", "tests.bench.bench_widget", "prepare", "--members", str(args.members)),
            *("--shoppers-file", str(shoppers_file)),
        )
        if setup["me_status"] != 200:
            raise SystemExit(f"widget me answered {setup['me_status']} in the probe")
        log(
            f"{args.members} members ready; one `me` = {setup['me_queries']} SQL statements built, in-process {setup['in_process']}"
        )
        with gunicorn(env, workers=args.workers) as server:
            result = widget_bench(
                env=env,
                server=server,
                server_workers=args.workers,
                setup=setup,
                seconds=args.duration,
                warmup=args.warmup,
                rounds=args.rounds,
                connections=args.connections,
            )
        machine_line = machine(env)
    print()
    print(table(result))
    print("BENCH_WIDGET_JSON " + json.dumps(result))
    sys.stdout.flush()
    if not (args.quick or args.no_docs):
        docs_section_write(
            Path(os.environ.get("BENCH_DOCS", DOCS)), section(result, args=args, machine_line=machine_line)
        )


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
