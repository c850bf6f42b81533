"""`make bench` (`python -m tests.bench.run [--quick]`): order ingestion through the real HTTP stack.

One run creates a throwaway PostgreSQL database, migrates it, creates a bench program, its API key and a pool
of members, and serves `tests.bench.settings` (the production settings over plain HTTP) with gunicorn on a
loopback port. wrk then POSTs order bodies for a fixed time to three endpoints served by the same workers:

1. a bare Django JSON endpoint (parse the body, answer JSON),
2. a bare one-row-insert endpoint (the same plus one raw INSERT),
3. `POST /api/v1/orders` with a new order id on every request, for existing and new customers.

It prints one table (req/s, p50/p99 latency, ratios to the baselines), and a full run rewrites the
`## Order ingestion` section of docs/benchmarks.md. The tier recalculation bench (tests/bench/bench_tiers.py)
runs after it when present, except with --quick."""

import argparse
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

from tests.bench.common import docs_section_write

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BIN = Path(PYTHON).parent
LUA_SCRIPT = Path(__file__).with_name("orders.lua")
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Order ingestion"
LOG_DIR = ROOT / "bench-results"
PG_SERVER_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
TARGET_RATIO = 0.5

SCENARIOS = [
    ("bare JSON", "/bench/json"),
    ("one-row INSERT", "/bench/insert"),
    ("POST /api/v1/orders", "/api/v1/orders"),
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

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


@dataclass(frozen=True)
class Server:
    base: str
    pid: int


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


@contextmanager
def throwaway_database() -> Iterator[str]:
    name = f"loyalty_bench_{os.getpid()}"
    with psycopg.connect(f"{PG_SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    log(f"database {name} created")
    try:
        yield f"{PG_SERVER_URL}/{name}"
    finally:
        with psycopg.connect(f"{PG_SERVER_URL}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        log(f"database {name} dropped")


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
        PYTHONPATH=str(ROOT),
    )
    return env


def run_json(env: dict[str, str], *args: str) -> dict:
    """Run a bench helper and return the JSON object on its last line of output."""
    done = subprocess.run([PYTHON, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
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


def wrk(url: str, *, seconds: int, load: Load, run_id: str, env: dict[str, str]) -> dict:
    wrk_env = {
        **os.environ,
        "BENCH_API_KEY": env["BENCH_API_KEY"],
        "BENCH_CUSTOMERS": str(load.customers),
        "BENCH_NEW_SHARE": str(load.new_share),
        "BENCH_RUN_ID": run_id,
    }
    command = ["wrk", "-t1", f"-c{load.connections}", f"-d{seconds}s", "--timeout", "10s", "-s", LUA_SCRIPT, url]
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


def _children(pid: int) -> list[int]:
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
        "web": {pid: _cpu_ticks(pid) for pid in _children(server.pid)},
        "db": {pid: _cpu_ticks(pid) for pid in backends},
    }


def _cpu_ms(before: dict[int, int], after: dict[int, int], requests: int) -> float:
    ticks = sum(used - before.get(pid, 0) for pid, used in after.items())
    return ticks / TICKS_PER_SECOND * 1000 / max(requests, 1)


BACKENDS_SQL = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def measure(server: Server, *, load: Load, env: dict[str, str]) -> list[Measurement]:
    """Every scenario once per round, interleaved so that a burst of other load on the machine hits all of
    them alike; each scenario keeps its best round."""
    best: dict[str, Measurement] = {}
    base = server.base
    for _name, path in SCENARIOS:
        wrk(base + path, seconds=load.warmup, load=load, run_id=f"warm{path.replace('/', '-')}", env=env)
    db = psycopg.connect(env["DATABASE_URL"], autocommit=True)
    for round_no in range(1, load.rounds + 1):
        for name, path in SCENARIOS:
            before = server_cpu(server, db)
            raw = wrk(base + path, seconds=load.duration, load=load, run_id=f"r{round_no}", env=env)
            after = server_cpu(server, db)
            web_ms = _cpu_ms(before["web"], after["web"], raw["requests"])
            db_ms = _cpu_ms(before["db"], after["db"], raw["requests"])
            result = Measurement(
                name=name,
                requests=raw["requests"],
                seconds=raw["duration_us"] / 1e6,
                non_2xx=raw["non_2xx"],
                socket_errors=raw["socket_errors"],
                p50_ms=raw["p50_us"] / 1000,
                p99_ms=raw["p99_us"] / 1000,
                cpu_ms=web_ms + db_ms,
                db_cpu_ms=db_ms,
            )
            log(
                f"round {round_no} {name}: {result.rps:.0f} req/s, p50 {result.p50_ms:.1f} ms, {result.cpu_ms:.2f} CPU ms ({result.db_cpu_ms:.2f} in PostgreSQL)"
            )
            if name not in best or result.rps > best[name].rps:
                best[name] = result
    db.close()
    return [best[name] for name, _path in SCENARIOS]


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
    by_name = {m.name: m for m in results}
    bare, insert = by_name["bare JSON"], by_name["one-row INSERT"]
    lines = [
        "| endpoint | req/s | p50 ms | p99 ms | vs one-row INSERT | vs bare JSON | server CPU ms/req "
        "| of which PostgreSQL | by CPU vs one-row INSERT | non-2xx |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for m in results:
        lines.append(
            f"| {m.name} | {m.rps:,.0f} | {m.p50_ms:.1f} | {m.p99_ms:.1f} | {m.rps / insert.rps:.0%} "
            f"| {m.rps / bare.rps:.0%} | {m.cpu_ms:.2f} | {m.db_cpu_ms:.2f} | {insert.cpu_ms / m.cpu_ms:.0%} "
            f"| {m.non_2xx + m.socket_errors} |"
        )
    return "\n".join(lines)


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
    bare, insert, orders = results
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

Measured by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit `{commit.stdout.strip() or "?"}`.

{results_table(results)}

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

Machine: {machine_line}. The load generator, gunicorn and PostgreSQL share these cores.

Method: gunicorn `config.wsgi` with {load.workers} sync workers on 127.0.0.1, settings `tests.bench.settings`
(the production settings over plain HTTP, throttle limit raised so it never refuses, though it still runs), a
throwaway PostgreSQL database, Celery tasks published to {broker_name}. wrk with {load.connections}
connections POSTs an order body (`tests/bench/orders.lua`: a new order id each time; {1 - load.new_share:.0%}
of the orders for one of {load.customers:,} existing members, the rest for new customers) to each endpoint:
{load.warmup} s of warm-up, then {load.rounds} interleaved rounds of {load.duration} s; the best round of each
endpoint is shown. The baselines (`tests/bench/views.py`) parse the same body through the same middleware:
the bare JSON endpoint answers it, the one-row-insert endpoint also runs one raw `INSERT` (autocommit).
Server CPU is the user + system time of the gunicorn workers and of the PostgreSQL backends of the bench
database during the round (from /proc), divided by the requests served.
"""


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


# Benches that bring their own data set (and, for the widget, their own server), run one after the other
# after order ingestion so they never share the CPU with it. Each rewrites its own section of the docs.
SUITES = {
    "tiers": "tests.bench.bench_tiers",  # recalculate_tiers at 1M members vs one SQL statement
    "expiry": "tests.bench.bench_expiry",  # expire_points at 1M members / 5M rows vs SQL
    "widget": "tests.bench.bench_widget",  # widget `me` vs the bare JSON endpoint
    "admin": "tests.bench.bench_admin",  # admin pages at 1M members
}


def suite_bench(name: str, env: dict[str, str]) -> None:
    log(f"{name} bench ({SUITES[name]})")
    subprocess.run([PYTHON, "-m", SUITES[name]], env={**env, "BENCH_DOCS": str(DOCS)}, cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short smoke run; docs are left as they are")
    parser.add_argument("--duration", type=int, help="seconds per measured round")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--customers", type=int, help="members created before the run")
    parser.add_argument(
        "--skip", action="append", default=[], choices=sorted(SUITES), help="leave out one of the other benches"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    load = Load(
        duration=args.duration or (5 if args.quick else 20),
        warmup=1 if args.quick else 3,
        rounds=args.rounds or (1 if args.quick else 2),
        connections=args.connections,
        workers=args.workers,
        customers=args.customers or (200 if args.quick else 1000),
        new_share=0.2,
        profile_calls=50 if args.quick else 300,
    )
    LOG_DIR.mkdir(exist_ok=True)
    broker = broker_url()
    with throwaway_database() as database_url:
        env = bench_env(database_url, broker)
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
        setup = run_json(env, "-m", "tests.bench.prepare", "setup", "--customers", str(load.customers))
        env["BENCH_API_KEY"] = setup["api_key"]
        log(f"program {setup['program']} with {setup['customers']} members ready")
        with gunicorn(env, workers=load.workers) as server:
            load_average = os.getloadavg()[0]
            results = measure(server, load=load, env=env)
            load_average = max(load_average, os.getloadavg()[0])
        queries = run_json(env, "-m", "tests.bench.prepare", "queries")
        profile_file = LOG_DIR / "order-profile.txt"
        profile = run_json(
            env, "-m", "tests.bench.prepare", "profile", "--calls", str(load.profile_calls), "--out", str(profile_file)
        )
        log(f"in-process: {json.dumps(profile)}; cProfile of the order calls in {profile_file}")
        written = run_json(env, "-m", "tests.bench.prepare", "count")
        subprocess.run([PYTHON, "manage.py", "verify_ledger", "bench"], env=env, cwd=ROOT, check=True)
        print()
        print(results_table(results))
        counts = {case: probe["queries"] for case, probe in queries.items()}
        print(f"\nSQL statements per order: {counts}; rows written: {written}")
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
            for name in SUITES:
                if name not in args.skip:
                    suite_bench(name, env)
    if broker.startswith("redis"):
        import redis

        redis.Redis.from_url(broker).flushdb()  # the tasks the orders queued: no worker ran them


if __name__ == "__main__":
    main()
