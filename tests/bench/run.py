"""`make bench` (`python -m tests.bench.run [--quick]`): the whole benchmark suite, one method, one table.

1. The API endpoints through the real HTTP stack: a throwaway PostgreSQL database (copied from a migrated
   template), `manage.py seed_bench` members with two years of history, `tests.bench.settings` (the production
   settings over plain HTTP) served by gunicorn on a loopback port, Celery tasks published to Redis. wrk drives
   each endpoint in turn, interleaved round by round, beside two baselines served by the same workers:
   a bare Django JSON endpoint and a one-row-insert endpoint (tests/bench/views.py). Endpoints: order ingestion,
   widget `me` (shoppers browsing pages, and first views alone), points preview, redemption, Shopify
   `orders/paid` webhook (one wrk Lua script each).
2. Except with --quick: the benches that bring their own data set at 1,000,000 members (SUITES: tier
   recalculation and point expiry, each beside a hand-written SQL statement; the merchant admin pages).

It prints the endpoints' table (req/s, p50/p99 latency, ratio to the baseline by req/s and by server CPU); a full
run rewrites the `## API endpoints` section of docs/benchmarks.md and the summary table at its top, and each
suite its own section. --quick is a smoke run of part 1 (under two minutes) that leaves the docs alone."""

import argparse
import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from tests.bench import bench_batch
from tests.bench.common import docs_section_write, summary_row, summary_write

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(PYTHON).parent
HERE = Path(__file__).parent
LUA_SCRIPT = HERE / "orders.lua"
DOCS = Path(os.environ.get("BENCH_DOCS", ROOT / "docs" / "benchmarks.md"))
SECTION = "## API endpoints"
LOG_DIR = ROOT / "bench-results"
PG_SERVER_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
TARGET_RATIO = 0.5
# Widget `me` as storefronts ask it: shoppers browsing BROWSE_PAGES pages each, BROWSE_ACTIVE of them at once
# (tests/bench/browse.lua); one request in BROWSE_PAGES is a shopper's first view.
BROWSE_PAGES, BROWSE_ACTIVE = 10, 16
WIDGET_ME_TARGET = 0.6
BROWSING = f"GET /api/widget/v1/me (browsing, 1 in {BROWSE_PAGES} first views)"


@dataclass(frozen=True)
class Scenario:
    """One endpoint under load: its wrk script, the baseline its ratio is taken against, and the target."""

    name: str
    path: str  # may name values of the setup: {public_key}
    script: str
    baseline: str | None = None
    target: float | None = None  # least share of the baseline's req/s


BARE, INSERT = "bare JSON", "one-row INSERT"
SCENARIOS = [
    Scenario(BARE, "/bench/json", "orders.lua"),
    Scenario(INSERT, "/bench/insert", "orders.lua"),
    Scenario("POST /api/v1/orders", "/api/v1/orders", "orders.lua", INSERT, TARGET_RATIO),
    # The target: `me` as shoppers browsing a shop ask it (1 first view in BROWSE_PAGES requests) ...
    Scenario(BROWSING, "/api/widget/v1/me", "browse.lua", BARE, WIDGET_ME_TARGET),
    # ... and a different shopper on each request: every answer built (a shopper's first view), no target.
    Scenario("GET /api/widget/v1/me (first view)", "/api/widget/v1/me", "widget.lua", BARE),
    Scenario("GET /api/widget/v1/points-preview", "/api/widget/v1/points-preview?subtotal=49.99", "widget.lua", BARE),
    Scenario("POST /api/v1/members/{id}/redemptions", "/api/v1/members/-/redemptions", "redeem.lua", INSERT),
    Scenario("POST /webhooks/shopify/{key}/ orders/paid", "/webhooks/shopify/{public_key}/", "shopify.lua", INSERT),
]


@dataclass(frozen=True)
class Load:
    duration: int
    warmup: int
    rounds: int
    connections: int
    workers: int
    customers: int
    new_share: float
    profile_calls: int
    shopify_bodies: int


@dataclass(frozen=True)
class Measurement:
    name: str
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # CPU time of the gunicorn workers and their PostgreSQL backends, per request
    db_cpu_ms: float  # the PostgreSQL backends' share of it
    built: int | None = None  # widget `me`: the answers built during the round (the others were kept ones)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


@dataclass(frozen=True)
class Server:
    base: str
    pid: int


STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[bench {time.monotonic() - STARTED:5.0f} s] {message}", flush=True)


@contextmanager
def throwaway_database(purpose: str = "api") -> Iterator[str]:
    """A new, migrated PostgreSQL database, dropped afterwards: copied from a template database migrated once
    per set of migration files (a copy takes a second; migrating takes most of a minute on a busy machine)."""
    name = f"loyalty_bench_{purpose}_{os.getpid()}"
    template = migrated_template()
    with psycopg.connect(f"{PG_SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    log(f"database {name} created from {template}")
    try:
        yield f"{PG_SERVER_URL}/{name}"
    finally:
        with psycopg.connect(f"{PG_SERVER_URL}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        log(f"database {name} dropped")


def migrated_template() -> str:
    """The template database for the current migrations, made (and older ones dropped) when missing."""
    digest = hashlib.sha1()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    name = f"loyalty_bench_template_{digest.hexdigest()[:12]}"
    with psycopg.connect(f"{PG_SERVER_URL}/postgres", autocommit=True) as conn:
        existing = [row[0] for row in conn.execute(TEMPLATES_SQL).fetchall()]
        if name in existing:
            return name
        for old in existing:
            conn.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
        building = f"{name}_building"  # renamed when complete: an interrupted migration is never used
        conn.execute(f'DROP DATABASE IF EXISTS "{building}"')
        conn.execute(f'CREATE DATABASE "{building}"')
        log(f"migrating the template database {name} (once for these migrations)")
        env = bench_env(f"{PG_SERVER_URL}/{building}", "filesystem://")
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
        conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    return name


TEMPLATES_SQL = "SELECT datname FROM pg_database WHERE datname LIKE 'loyalty\\_bench\\_template\\_%'"


def broker_url() -> str:
    """Production publishes tasks to Redis; use the local one when it is there, else the filesystem broker."""
    host, port = re.match(r"redis://([^:/]+):(\d+)", REDIS_URL).groups()
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return "filesystem://"
    return REDIS_URL


def bench_env(database_url: str, broker: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.bench.settings",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker,
        SECRET_KEY=secrets.token_urlsafe(50),
        VAR_DIR=str(LOG_DIR / "var"),
        CONN_MAX_AGE="600",  # one backend per worker for the whole run, so its CPU time can be read
        # The widget's throttles run on every call (their cost is measured) but never refuse the bench's load.
        WIDGET_SHOPPER_THROTTLE_RATE="1000000000/min",
        WIDGET_IP_THROTTLE_RATE="1000000000/min",
        PYTHONPATH=str(ROOT),
    )
    return env


def setup_env(setup: dict) -> dict[str, str]:
    """What the wrk scripts read of `tests.bench.prepare setup`'s answer (keys, reward, the prepared files)."""
    return {
        "BENCH_API_KEY": setup["api_key"],
        "BENCH_PUBLIC_KEY": setup["public_key"],
        "BENCH_REWARD_ID": str(setup["reward_id"]),
        "BENCH_SHOPPERS_FILE": setup["shoppers_file"],
        "BENCH_REDEEMERS_FILE": setup["redeemers_file"],
        "BENCH_SHOPIFY_FILE": setup["shopify_file"],
    }


def run_json(env: dict[str, str], *args: str, stderr: int | None = subprocess.PIPE) -> dict:
    """Run a bench helper and return the JSON object on its last line of output (its log on stderr is kept
    for the error message, or shown as it goes with stderr=None)."""
    done = subprocess.run([PYTHON, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{(done.stderr or '')[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int) -> Iterator[Server]:
    port = free_port()
    log_file = (LOG_DIR / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [BIN / "gunicorn", "config.wsgi", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base, server)
        log(f"gunicorn serving {base} with {workers} workers (log: {log_file.name})")
        yield Server(base=base, pid=server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log_file.close()


def _wait_until_serving(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see {LOG_DIR / 'gunicorn.log'}")
        try:
            urllib.request.urlopen(f"{base}/bench/json", timeout=2)
        except urllib.error.HTTPError:
            return  # 405 to a GET: Django is answering
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start serving within 60 s")


def wrk(url: str, *, script: str, seconds: int, load: Load, run_id: str, env: dict[str, str]) -> dict:
    wrk_env = {
        **os.environ,
        **{key: value for key, value in env.items() if key.startswith("BENCH_")},
        "BENCH_CUSTOMERS": str(load.customers),
        "BENCH_NEW_SHARE": str(load.new_share),
        "BENCH_RUN_ID": run_id,
        "BENCH_PAGES": str(BROWSE_PAGES),
        "BENCH_ACTIVE": str(BROWSE_ACTIVE),
    }
    command = ["wrk", "-t1", f"-c{load.connections}", f"-d{seconds}s", "--timeout", "10s", "-s", HERE / script, url]
    out = subprocess.run(command, env=wrk_env, check=True, capture_output=True, text=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH_JSON "))
    return json.loads(line.removeprefix("BENCH_JSON "))


def _cpu_ticks(pid: int) -> int:
    """utime + stime of one process, in clock ticks (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def child_pids(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def server_cpu(server: Server, db: psycopg.Connection) -> dict[str, dict[int, int]]:
    """CPU ticks so far of every process serving the bench: the gunicorn workers ("web") and the PostgreSQL
    backends of the bench database ("db", not this connection). Other load on the machine is not counted,
    which makes CPU per request comparable between runs on a busy machine where req/s is not."""
    backends = [pid for (pid,) in db.execute(BACKENDS_SQL).fetchall()]
    return {
        "web": {pid: _cpu_ticks(pid) for pid in child_pids(server.pid)},
        "db": {pid: _cpu_ticks(pid) for pid in backends},
    }


def _cpu_ms(before: dict[int, int], after: dict[int, int], requests: int) -> float:
    ticks = sum(used - before.get(pid, 0) for pid, used in after.items())
    return ticks / TICKS_PER_SECOND * 1000 / max(requests, 1)


BACKENDS_SQL = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def measure(
    server: Server, *, load: Load, env: dict[str, str], setup: dict, scenarios: list[Scenario] = SCENARIOS
) -> list[Measurement]:
    """Every scenario once per round, interleaved so that a burst of other load on the machine hits all of
    them alike; each scenario keeps its best round. Shopify deliveries are never sent twice: each wrk run
    starts past the ones sent before (plus the requests a run may leave in flight). `scenarios`: a part of the
    suite (tests/bench/bench_widget.py measures the widget's)."""
    best: dict[str, Measurement] = {}
    urls = {scenario.name: server.base + scenario.path.format(**setup) for scenario in scenarios}

    def run(scenario: Scenario, seconds: int, run_id: str) -> dict:
        if scenario.path == ME_PATH and scenario.script == "widget.lua":
            me_forget(env)  # first views: no answer kept from an earlier run
        raw = wrk(urls[scenario.name], script=scenario.script, seconds=seconds, load=load, run_id=run_id, env=env)
        if scenario.script == "shopify.lua":
            env["BENCH_SHOPIFY_OFFSET"] = str(int(env["BENCH_SHOPIFY_OFFSET"]) + raw["requests"] + load.connections)
        if scenario.script == "browse.lua":  # the next run goes on with the shoppers browsing when this one ended
            env["BENCH_BROWSE_OFFSET"] = str(int(env["BENCH_BROWSE_OFFSET"]) + browse_shoppers(raw["requests"]))
        return raw

    env["BENCH_SHOPIFY_OFFSET"] = env["BENCH_BROWSE_OFFSET"] = "0"
    for scenario in scenarios:
        run(scenario, load.warmup, f"warm{len(scenario.name)}")
    db = psycopg.connect(env["DATABASE_URL"], autocommit=True)
    for round_no in range(1, load.rounds + 1):
        for scenario in scenarios:
            before, built_before = server_cpu(server, db), me_built(db, scenario)
            raw = run(scenario, load.duration, f"r{round_no}")
            after = server_cpu(server, db)
            built = me_built(db, scenario, flushed=True)
            web_ms = _cpu_ms(before["web"], after["web"], raw["requests"])
            db_ms = _cpu_ms(before["db"], after["db"], raw["requests"])
            result = Measurement(
                name=scenario.name,
                requests=raw["requests"],
                seconds=raw["duration_us"] / 1e6,
                non_2xx=raw["non_2xx"],
                socket_errors=raw["socket_errors"],
                p50_ms=raw["p50_us"] / 1000,
                p99_ms=raw["p99_us"] / 1000,
                cpu_ms=web_ms + db_ms,
                db_cpu_ms=db_ms,
                built=None if built is None else built - built_before,
            )
            log(
                f"round {round_no} {scenario.name}: {result.rps:.0f} req/s, p50 {result.p50_ms:.1f} ms, "
                f"{result.cpu_ms:.2f} CPU ms ({result.db_cpu_ms:.2f} in PostgreSQL), non-2xx {result.non_2xx}"
                + (f", {result.built / max(result.requests, 1):.0%} of the answers built" if built else "")
            )
            if scenario.name not in best or _better(result, best[scenario.name]):
                best[scenario.name] = result
    db.close()
    shoppers = len(Path(setup["shoppers_file"]).read_text().split()) // 2  # two words a line
    browse_pool = shoppers - shoppers // 2  # browse.lua's half of the shoppers file
    if int(env["BENCH_BROWSE_OFFSET"]) > browse_pool:
        log(f"warning: browsing asked {env['BENCH_BROWSE_OFFSET']} shoppers of {browse_pool}: some came back")
    if int(env["BENCH_SHOPIFY_OFFSET"]) > setup["shopify_bodies"]:
        log(f"warning: {env['BENCH_SHOPIFY_OFFSET']} Shopify deliveries sent, {setup['shopify_bodies']} prepared")
    return [best[scenario.name] for scenario in scenarios]


def _better(result: Measurement, kept: Measurement) -> bool:
    """A round without errors beats one with errors (a refused request is cheap: it would win on req/s); then the
    higher req/s."""
    errors = result.non_2xx + result.socket_errors
    return (errors == 0, result.rps) > (kept.non_2xx + kept.socket_errors == 0, kept.rps)


def browse_shoppers(requests: int) -> int:
    """The shoppers a browse.lua run of `requests` saw to their last page: the next run starts with the ones still
    browsing (whole generations of BROWSE_ACTIVE shoppers), so that 1 request in BROWSE_PAGES stays a first view
    from a round's first request on, however short the round."""
    return BROWSE_ACTIVE * (requests // (BROWSE_ACTIVE * BROWSE_PAGES))


ME_PATH = "/api/widget/v1/me"
# Building a `me` answer reads the member's active codes once (storefront/widget/selectors.py); a kept answer, and
# every other request of a `me` round, never does: the scans of the vouchers table count the answers built.
ME_BUILDS_SQL = (
    "SELECT COALESCE(seq_scan, 0) + COALESCE(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'rewards_voucher'"
)
STATS_FLUSH_SECONDS = 1.5  # a PostgreSQL backend reports its table statistics within a second of going idle


def me_forget(env: dict[str, str]) -> None:
    """Drop every kept widget `me` answer (storefront.models.MeAnswer), as a catalog edit would make them stale."""
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db:
        db.execute("DELETE FROM storefront_meanswer")


def me_built(db: psycopg.Connection, scenario: Scenario, *, flushed: bool = False) -> int | None:
    """Widget `me` answers built so far (None for other scenarios); `flushed`: wait for the backends' report."""
    if scenario.path != ME_PATH:
        return None
    if flushed:
        time.sleep(STATS_FLUSH_SECONDS)
    db.execute("SELECT pg_stat_clear_snapshot()")
    return db.execute(ME_BUILDS_SQL).fetchone()[0]


def machine(env: dict[str, str]) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "unknown CPU",
    )
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1]
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import django
    import gunicorn as gunicorn_pkg

    return (
        f"{os.cpu_count()} × {cpu}, {mem_gib:.0f} GiB RAM; Python {platform.python_version()}, "
        f"Django {django.get_version()}, gunicorn {gunicorn_pkg.__version__}, PostgreSQL {pg}, wrk {wrk_version}"
    )


def results_table(results: list[Measurement]) -> str:
    """One row per endpoint: throughput and latency, its ratio to its baseline by req/s and by the server CPU
    spent per request, and the target when the issue sets one."""
    by_name = {m.name: m for m in results}
    lines = [
        "| endpoint | req/s | p50 ms | p99 ms | baseline | vs baseline | target | by CPU vs baseline "
        "| server CPU ms/req | of which PostgreSQL | non-2xx |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for scenario in SCENARIOS:
        m = by_name[scenario.name]
        base = by_name[scenario.baseline] if scenario.baseline else None
        target = f"≥ {scenario.target:.0%}" if scenario.target else "–"
        lines.append(
            f"| {m.name} | {m.rps:,.0f} | {m.p50_ms:.1f} | {m.p99_ms:.1f} | {scenario.baseline or '–'} "
            f"| {f'{m.rps / base.rps:.0%}' if base else '–'} | {target} "
            f"| {f'{base.cpu_ms / m.cpu_ms:.0%}' if base and m.cpu_ms else '–'} | {m.cpu_ms:.2f} | {m.db_cpu_ms:.2f} "
            f"| {m.non_2xx + m.socket_errors} |"
        )
    return "\n".join(lines)


def summary_rows(results: list[Measurement], *, load_average: float, command: str = "make bench") -> list[dict]:
    """The summary lines of the endpoints measured: every ratio to its baseline, with its target and verdict."""
    by_name = {m.name: m for m in results}
    rows = []
    for scenario in SCENARIOS:
        if scenario.baseline is None or scenario.name not in by_name:
            continue
        m, base = by_name[scenario.name], by_name[scenario.baseline]
        ratio = m.rps / base.rps
        rows.append(
            summary_row(
                key=f"http {scenario.name}",
                what=scenario.name,
                result=f"{m.rps:,.0f} req/s, p99 {m.p99_ms:.0f} ms",
                baseline=f"{scenario.baseline} {base.rps:,.0f} req/s",
                ratio=f"{ratio:.0%}",
                target=f"≥ {scenario.target:.0%}" if scenario.target else None,
                met=ratio >= scenario.target if scenario.target else None,
                load_average=load_average,
                command=command,
            )
        )
    return rows


def section(
    *,
    results: list[Measurement],
    load: Load,
    queries: dict,
    profile: dict,
    written: dict,
    machine_line: str,
    broker: str,
    load_average: float,
) -> str:
    by_name = {m.name: m for m in results}
    bare, insert, orders = by_name[BARE], by_name[INSERT], by_name["POST /api/v1/orders"]
    ratio = orders.rps / insert.rps
    verdict = "meets" if ratio >= TARGET_RATIO else "misses"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    broker_name = "Redis" if broker.startswith("redis") else "the filesystem broker"
    busy = (
        f"The machine was shared while measuring (1-minute load average up to {load_average:.1f} on "
        f"{os.cpu_count()} cores), which inflates every round trip to PostgreSQL; the CPU columns are less "
        "affected by that than req/s."
        if load_average > (os.cpu_count() or 1)
        else f"1-minute load average during the run: up to {load_average:.1f} on {os.cpu_count()} cores."
    )
    return f"""{SECTION}

Measured by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit `{commit.stdout.strip() or "?"}`, every
endpoint against its baseline served by the same workers in the same run ("by CPU" compares the server CPU each
request cost, which other load on the machine disturbs less than req/s).

{results_table(results)}

### Order ingestion

**Orders reach {ratio:.0%} of the one-row-insert baseline in req/s** ({verdict} the ≥ {TARGET_RATIO:.0%} target)
and {orders.rps / bare.rps:.0%} of the bare JSON endpoint. By the CPU the serving processes spent per request,
an order costs {orders.cpu_ms / insert.cpu_ms:.1f}× a one-row insert ({insert.cpu_ms / orders.cpu_ms:.0%}).
{busy}

Where an order's time goes:
- SQL statements per `POST /api/v1/orders`, whole request (API key, member, rules, ledger, tier, answer):
  {queries["existing_member"]["queries"]} for an existing member, {queries["new_member"]["queries"]} for a new
  one (sign-up points and tier join included), {queries["replay"]["queries"]} for a replayed order id; the
  one-row-insert baseline runs 1.
  For an existing member: {statements_summary(queries["existing_member"]["sql"])}.
- In one process with no load generator, an order takes {profile["order_ms"]:.1f} ms, of which
  {profile["order_sql_ms"]:.1f} ms waiting on SQL, and {profile["order_cpu_ms"]:.1f} ms of CPU in the Python
  process; the one-row-insert baseline {profile["insert_ms"]:.1f} ms
  ({profile["insert_sql_ms"]:.1f} ms SQL, {profile["insert_cpu_ms"]:.1f} ms CPU). The run leaves the statements
  of one order in `bench-results/order-queries.json` and a cProfile of the order calls in
  `bench-results/order-profile.txt`.
- Orders written during the run: {written["orders"]:,}; `verify_ledger` then found every balance equal to its
  ledger.

### The other endpoints

{other_endpoints(by_name, queries)}

Machine: {machine_line}. The load generator, gunicorn and PostgreSQL share these cores.

Method: gunicorn `config.wsgi` with {load.workers} sync workers on 127.0.0.1, settings `tests.bench.settings`
(the production settings over plain HTTP; API and widget throttles raised so they never refuse, though they still
run), a throwaway PostgreSQL database seeded by `manage.py seed_bench` with six times {load.customers:,} members
(two years of orders, refunds, redemptions and expiring lots per member; orders pick from the first {load.customers:,},
every member is a widget shopper: tests/bench/prepare.py SHOPPERS_PER_CUSTOMER; then `run_job recalculate_tiers`, so that
members hold the tier their history earns, as in a live program), Celery tasks published to {broker_name} (no worker
runs: what an endpoint queues is not part of its time). wrk with {load.connections} connections, one script per
endpoint: `orders.lua` POSTs an order body (a new order id each time; {1 - load.new_share:.0%} of the orders for
one of the {load.customers:,} seeded members, the rest for new customers) to the two baselines and the order API;
`browse.lua` asks `me` as storefronts do, for signed-in shoppers browsing pages: {BROWSE_ACTIVE} shoppers at once,
taking turns, each viewing {BROWSE_PAGES} pages and then replaced by a shopper whose answer is not kept, so 1 request
in {BROWSE_PAGES} is a first view (which builds the answer) and the others may reuse it; `widget.lua` asks `me` (the
first-view row, kept answers dropped before each run) and the points preview as a different signed-in shopper each
time, from the other half of the shoppers (who come round again once that half is used up, their answers kept: the
share of the `me` calls that built an answer is counted from
PostgreSQL's statistics: a build, and nothing else in those rounds, reads the member's codes); `redeem.lua` redeems the
seeded 100-point reward for members with at least 1,000 points, a new Idempotency-Key each time; `shopify.lua`
sends `orders/paid` deliveries signed beforehand with the program's webhook secret, each once (the endpoint stores
and queues them; the order itself is recorded by the worker). {load.warmup} s of warm-up per endpoint, then
{load.rounds} interleaved rounds of {load.duration} s; the best round of each endpoint is shown. The baselines
(`tests/bench/views.py`) parse the order body through the same middleware: the bare JSON endpoint answers it, the
one-row-insert endpoint also runs one raw `INSERT` (autocommit). Reads are compared with the bare endpoint, writes
with the one-row insert. Server CPU is the user + system time of the gunicorn workers and of the PostgreSQL backends of the bench
database during the round (from /proc), divided by the requests served.
"""


OTHER_ENDPOINTS = [  # (scenario, probe in `prepare queries`, what its time is)
    (BROWSING, "widget_me_again", "when the answer is kept: the member's version, then the stored body"),
    ("GET /api/widget/v1/me (first view)", "widget_me_first", "shopper check, member, tier, rewards, expiry"),
    ("GET /api/widget/v1/points-preview", "points_preview", "shopper check, member, rules and tier multiplier"),
    ("POST /api/v1/members/{id}/redemptions", "redemption", "API key, member lock, reward checks, ledger, voucher"),
    ("POST /webhooks/shopify/{key}/ orders/paid", "shopify_webhook", "signature, receipt row, task queued"),
]


def other_endpoints(by_name: dict[str, Measurement], queries: dict) -> str:
    """One line per endpoint beyond orders: its cost per request by CPU and by SQL statements."""
    lines = []
    for name, probe, work in OTHER_ENDPOINTS:
        m, scenario = by_name[name], next(s for s in SCENARIOS if s.name == name)
        base = by_name[scenario.baseline]
        statements = queries.get(probe, {}).get("queries", "?")
        built = f" {m.built / max(m.requests, 1):.0%} of the calls built their answer;" if m.built is not None else ""
        lines.append(
            f"- `{name}`: {m.rps / base.rps:.0%} of the {scenario.baseline} endpoint by req/s; "
            f"{m.cpu_ms:.1f} ms of server CPU per request ({m.cpu_ms / base.cpu_ms:.1f}× the baseline's), "
            f"{m.db_cpu_ms:.1f} ms of it in PostgreSQL;{built} {statements} SQL statements per call ({work})."
        )
    return "\n".join(lines)


TABLE_OF = {
    "SELECT": re.compile(r'\bFROM\s+"(\w+)"'),
    "INSERT": re.compile(r'^INSERT INTO\s+"(\w+)"'),
    "UPDATE": re.compile(r'^UPDATE\s+"(\w+)"'),
    "DELETE": re.compile(r'^DELETE FROM\s+"(\w+)"'),
}


def statement_name(sql: str) -> str:
    """`SELECT members_member FOR UPDATE`, `INSERT members_order`, `COMMIT` …: a statement in a few words."""
    verb = sql.split(maxsplit=1)[0].upper()
    pattern = TABLE_OF.get(verb)
    found = pattern.search(sql) if pattern else None
    name = f"{verb} {found[1]}" if found else verb
    return name + (" FOR UPDATE" if verb == "SELECT" and "FOR UPDATE" in sql else "")


def statements_summary(statements: list[dict]) -> str:
    return ", ".join(f"`{statement_name(statement['sql'])}`" for statement in statements)


def docs_write(text: str) -> None:
    docs_section_write(DOCS, text)


# Benches that bring their own data set, run one after the other after the endpoints so they never share the
# CPU with them. Each rewrites its own section of the docs.
SUITES = {
    "tiers": "tests.bench.bench_tiers",  # recalculate_tiers at 1M members vs one SQL statement
    "admin": "tests.bench.bench_admin",  # admin pages at 1M members
    "segments": "tests.bench.bench_segments",  # a 4-condition segment counted at 1M members vs count(*)
    "challenges": "tests.bench.bench_challenges",  # order path with challenges; leaderboard at 1M vs GROUP BY
    "expiry": "tests.bench.bench_expiry",  # expire_points at 1M members / 5M rows vs SQL (changes the data: last)
}


SUITE_PROGRAM = "bench-1m"  # seeded once (and SUITE_PROGRAM-small with a tenth) for every suite of the run
SUITE_AS_OF = "2026-11-01T03:00"  # the as-of the job benches measure at


def suites(names: list[str], *, members: int, broker: str) -> None:
    """The suites on one database seeded once by `manage.py seed_bench`: the programs they measure are shared
    (the tier bench puts the tiers back as seeded; the expiry bench, which changes balances, runs last)."""
    with throwaway_database("suites") as database_url:
        env = bench_env(database_url, broker)
        for slug, size in ((SUITE_PROGRAM, members), (f"{SUITE_PROGRAM}-small", max(members // 10, 1))):
            log(f"seed_bench --members {size:,} --program {slug}")
            command = ["manage.py", "seed_bench", "--members", str(size), "--program", slug, "--as-of", SUITE_AS_OF]
            subprocess.run([PYTHON, *command], env=env, cwd=ROOT, check=True)
        env.update(BENCH_PROGRAM=SUITE_PROGRAM, BENCH_DOCS=str(DOCS))
        for name in names:
            log(f"{name} bench ({SUITES[name]})")
            result = run_json(env, "-m", SUITES[name], "--members", str(members), stderr=None)
            if name == "admin":
                summary_write(DOCS, [admin_summary_row(result)])


def admin_summary_row(result: dict) -> dict:
    """The admin pages in one summary line: the slowest page's worst time against the one-second target."""
    name, slowest = max(result["pages"].items(), key=lambda page: page[1]["max_ms"])
    return summary_row(
        key="admin pages",
        what=f"merchant admin pages at {result['members']:,} members (slowest: {name})",
        result=f"worst {slowest['max_ms']:,.0f} ms, median {slowest['median_ms']:,.0f} ms",
        baseline="–",
        ratio="–",
        target="< 1 s",
        met=slowest["max_ms"] < 1000,
        command="python -m tests.bench.bench_admin",
        load_average=result.get("load_average"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short smoke run; docs are left as they are")
    parser.add_argument("--duration", type=int, help="seconds per measured round")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--customers", type=int, help="members created before the run")
    parser.add_argument("--members", type=int, default=1_000_000, help="members of the suites' data set")
    parser.add_argument(
        "--skip", action="append", default=[], choices=["endpoints", *SUITES], help="leave out a part of the suite"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    load = Load(
        duration=args.duration or (3 if args.quick else 20),
        warmup=1 if args.quick else 3,
        rounds=args.rounds or (1 if args.quick else 2),
        connections=args.connections,
        workers=args.workers,
        customers=args.customers or (200 if args.quick else 10_000),
        new_share=0.2,
        profile_calls=50 if args.quick else 300,
        shopify_bodies=1000 if args.quick else 20000,
    )
    LOG_DIR.mkdir(exist_ok=True)
    broker = broker_url()
    if "endpoints" not in args.skip:
        endpoints(args, load, broker)
    names = [name for name in SUITES if name not in args.skip]
    if not args.quick and names:
        suites(names, members=args.members, broker=broker)


def endpoints(args: argparse.Namespace, load: Load, broker: str) -> None:
    with throwaway_database() as database_url:
        env = bench_env(database_url, broker)
        setup = run_json(
            env, "-m", "tests.bench.prepare", "setup", "--customers", str(load.customers),
            "--shopify-bodies", str(load.shopify_bodies),
        )  # fmt: skip
        env.update(setup_env(setup))
        log(f"program {setup['program']} with {setup['customers']} members ready")
        with gunicorn(env, workers=load.workers) as server:
            load_average = os.getloadavg()[0]
            results = measure(server, load=load, env=env, setup=setup)
            load_average = max(load_average, os.getloadavg()[0])
            bench_batch.harness_run(  # batch vs single orders on this server; writes its own docs section
                base_url=server.base, api_key=env["BENCH_API_KEY"], docs=None if args.quick else DOCS,
                workers=load.workers, pool=load.customers, quick=args.quick,
            )  # fmt: skip
        queries = run_json(env, "-m", "tests.bench.prepare", "queries")
        if not args.quick:  # the in-process profile explains the full run's numbers; a smoke run skips it
            profile_file = LOG_DIR / "order-profile.txt"
            profile = run_json(
                env,
                "-m",
                "tests.bench.prepare",
                "profile",
                "--calls",
                str(load.profile_calls),
                "--out",
                str(profile_file),
            )
            log(f"in-process: {json.dumps(profile)}; cProfile of the order calls in {profile_file}")
        written = run_json(env, "-m", "tests.bench.prepare", "count")
        subprocess.run([PYTHON, "manage.py", "verify_ledger", "bench"], env=env, cwd=ROOT, check=True)
        print()
        print(results_table(results))
        counts = {case: probe["queries"] for case, probe in queries.items()}
        print(f"\nSQL statements per call: {counts}; rows written: {written}")
        (LOG_DIR / "order-queries.json").write_text(json.dumps(queries, indent=2))
        log(f"the statements of one order are in {LOG_DIR / 'order-queries.json'}")
        if not args.quick:
            docs_write(
                section(
                    results=results,
                    load=load,
                    queries=queries,
                    profile=profile,
                    written=written,
                    machine_line=machine(env),
                    broker=broker,
                    load_average=load_average,
                )
            )
            summary_write(DOCS, summary_rows(results, load_average=load_average))
    if broker.startswith("redis"):
        import redis

        redis.Redis.from_url(broker).flushdb()  # the tasks the orders queued: no worker ran them


if __name__ == "__main__":
    main()
