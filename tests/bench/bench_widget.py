"""Widget bench: `GET /api/widget/v1/me` through the real HTTP stack (gunicorn, production settings, PostgreSQL)
beside the bare Django JSON endpoint in the same run, same workers, same load.

    python -m tests.bench.bench_widget [--quick] [--members N] [--duration S]

It creates a throwaway PostgreSQL database (as `tests.bench.run` does), a program with tiers, rewards and
N members each with a short history (orders, a redemption), then lets wrk ask for `me` as a different signed-in
shopper on every request. The throttles run on every call but are set too high to refuse the load. Prints a
table and one JSON line; `widget_bench(env=…, base=…, load=…)` is what a harness serving the same database calls.
Target: `me` at ≥ 60 % of the bare endpoint's requests/s. `prepare` (run inside the bench environment) builds
the data and reports the SQL statements of one `me` call."""

import argparse
import json
import os
import sys
from pathlib import Path

from tests.bench.run import (
    LOG_DIR,
    LUA_SCRIPT,
    PYTHON,
    ROOT,
    bench_env,
    broker_url,
    gunicorn,
    log,
    run_json,
    throwaway_database,
)

WIDGET_LUA = Path(__file__).with_name("widget.lua")
TARGET_RATIO = 0.6


def prepare(members: int) -> dict:
    """Inside the bench environment: the program, its members and their history, through the real services."""
    import django

    django.setup()
    from decimal import Decimal

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from loyalty.models import Merchant, Program, Tier
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
    shoppers_file = LOG_DIR / "widget-shoppers.txt"
    shoppers_file.write_text("\n".join(lines) + "\n")
    client = Client(
        HTTP_X_LOYALTY_PROGRAM=program.public_key,
        HTTP_X_LOYALTY_CUSTOMER="w-0",
        HTTP_X_LOYALTY_DIGEST=lines[0].split()[1],
    )
    with CaptureQueriesContext(connection) as queries:
        status = client.get("/api/widget/v1/me", HTTP_HOST="127.0.0.1").status_code
    return {
        "public_key": program.public_key,
        "shoppers_file": str(shoppers_file),
        "members": members,
        "me_status": status,
        "me_queries": len(queries.captured_queries),
    }


def _wrk(url: str, *, script: Path, seconds: int, connections: int, env: dict) -> dict:
    import subprocess

    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH_JSON "))
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "non_2xx": raw["non_2xx"],
    }


def widget_bench(*, env: dict, base: str, setup: dict, seconds: int, rounds: int, connections: int) -> dict:
    """The bare endpoint and `me`, interleaved round by round; each keeps its best round."""
    wrk_env = {**env, "BENCH_PUBLIC_KEY": setup["public_key"], "BENCH_SHOPPERS_FILE": setup["shoppers_file"]}
    scenarios = {
        "bare JSON": (base + "/bench/json", LUA_SCRIPT),
        "GET /api/widget/v1/me": (base + "/api/widget/v1/me", WIDGET_LUA),
    }
    for url, script in scenarios.values():
        _wrk(url, script=script, seconds=1, connections=connections, env=wrk_env)  # warm-up
    best: dict[str, dict] = {}
    for round_no in range(1, rounds + 1):
        for name, (url, script) in scenarios.items():
            result = _wrk(url, script=script, seconds=seconds, connections=connections, env=wrk_env)
            log(
                f"round {round_no} {name}: {result['rps']:.0f} req/s, p99 {result['p99_ms']:.1f} ms, non-2xx {result['non_2xx']}"
            )
            if name not in best or result["rps"] > best[name]["rps"]:
                best[name] = result
    bare, me = best["bare JSON"], best["GET /api/widget/v1/me"]
    return {"bare": bare, "me": me, "ratio": me["rps"] / bare["rps"], "me_queries": setup["me_queries"]}


def table(result: dict) -> str:
    rows = ["| endpoint | req/s | p50 ms | p99 ms | non-2xx |", "| --- | ---: | ---: | ---: | ---: |"]
    for name, key in (("bare Django JSON", "bare"), ("GET /api/widget/v1/me", "me")):
        r = result[key]
        rows.append(f"| {name} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['non_2xx']} |")
    verdict = "met" if result["ratio"] >= TARGET_RATIO else "NOT met"
    rows.append(
        f"\n`me` / bare: {result['ratio']:.0%} (target ≥ {TARGET_RATIO:.0%}: {verdict}); SQL statements per `me`: {result['me_queries']}"
    )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", default="run", choices=["run", "prepare"])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--members", type=int)
    parser.add_argument("--duration", type=int)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    members = args.members or (50 if args.quick else 100)
    if args.command == "prepare":
        print(json.dumps(prepare(members)))
        return
    LOG_DIR.mkdir(exist_ok=True)
    with throwaway_database() as database_url:
        env = bench_env(database_url, broker_url())
        # The throttles run on every call (their cost is measured) but never refuse the bench's load.
        env.update(WIDGET_SHOPPER_THROTTLE_RATE="1000000000/min", WIDGET_IP_THROTTLE_RATE="1000000000/min")
        import subprocess

        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
        setup = run_json(env, "-m", "tests.bench.bench_widget", "prepare", "--members", str(members))
        if setup["me_status"] != 200:
            raise SystemExit(f"widget me answered {setup['me_status']} in the probe")
        log(f"{members} members ready; one `me` = {setup['me_queries']} SQL statements")
        with gunicorn(env, workers=args.workers) as server:
            result = widget_bench(
                env=env,
                base=server.base,
                setup=setup,
                seconds=args.duration or (3 if args.quick else 15),
                rounds=1 if args.quick else 2,
                connections=args.connections,
            )
    print()
    print(table(result))
    print("BENCH_WIDGET_JSON " + json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
