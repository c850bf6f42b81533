"""Tier recalculation bench: `recalculate_tiers` on N members with realistic ledgers, on PostgreSQL, beside
one hand-written SQL statement doing the same re-tiering in the same run.

`python -m tests.bench.bench_tiers [--members 1000000] [--no-docs]`. With DATABASE_URL pointing at a migrated
PostgreSQL database (as `make bench` passes it), it works there; without, it creates, migrates and drops a
throwaway database on BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432). `bench(members=N)` is what
the harness calls; it returns the numbers and writes the `## Tier recalculation` section of BENCH_DOCS
(default docs/benchmarks.md).

Data, generated server-side with INSERT … SELECT over generate_series (seconds, not hours):
- a Starbucks-like program: points earned in a rolling 12 months; Bronze 0, Silver 500, Gold 2,000,
  Platinum 5,000, Diamond 10,000 and an invite-only Reserve held by hand by 0.5 % of the members;
- per member 0–8 orders (4 on average) spread over the 24 months before as-of, each with its earn row;
  subtotals of 5–205, twice that for 22 % of members, 5× for 7 %, 15× for 1 % (a few big spenders);
  one order in 20 partly refunded (refund row); a sign-up bonus each; a redemption for one member in 5
  (redemptions don't count toward tiers, but the job has to read past them);
- every member starts in Bronze, as if never recalculated: the worst case, where most of them move.
A small program of N/10 members is measured first with the same job, to show the job's memory does not
grow with the number of members.
"""

import os
import resource
import sys
import time
import tracemalloc
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from tests.bench.common import bench_main, docs_section_write, job_vs_sql_results

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Tier recalculation"
AS_OF = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
THRESHOLDS = [("bronze", 0), ("silver", 500), ("gold", 2000), ("platinum", 5000), ("diamond", 10000)]
TARGET_RATIO = 3.0
TARGET_SECONDS = 120


def _django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.settings")
    os.environ.setdefault("SECRET_KEY", "bench-tiers-not-secret")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    import django

    django.setup()


@contextmanager
def _throwaway_database():
    import psycopg

    server = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    name = f"loyalty_bench_tiers_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def log(message: str) -> None:
    print(f"[bench_tiers {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def _program(slug: str):
    from loyalty.models import Merchant, Program, Tier

    merchant = Merchant.objects.create(name=f"Bench {slug}")
    program = Program.objects.create(
        merchant=merchant,
        slug=slug,
        name=f"Bench {slug}",
        currency="USD",
        tier_metric="points_earned",
        tier_period="rolling_12_months",
    )
    for position, (key, threshold) in enumerate(THRESHOLDS, start=1):
        Tier.objects.create(program=program, key=key, name=key.title(), position=position, threshold=Decimal(threshold))
    Tier.objects.create(program=program, key="reserve", name="Reserve", position=99, invite_only=True)
    return program


def _seed(program, members: int) -> None:
    """Members, orders, refunds and ledger rows of `program`, all server-side."""
    from django.db import connection

    tiers = dict(program.tiers.values_list("key", "pk"))
    p = {"program": program.pk, "n": members, "bronze": tiers["bronze"], "reserve": tiers["reserve"], "as_of": AS_OF}
    statements = [
        # Members: 0.5 % locked in invite-only Reserve, everyone else in Bronze.
        """INSERT INTO members_member (program_id, customer_id, email, first_name, last_name, phone, emails_allowed,
               points_balance, pending_points, lifetime_points, lifetime_spend, orders_count, tier_id, tier_locked,
               referral_code, last_activity_at, created_at, updated_at)
           SELECT %(program)s, 'c' || g, 'c' || g || '@example.com', '', '', '', true, 0, 0, 0, 0, 0,
                  CASE WHEN g %% 200 = 0 THEN %(reserve)s ELSE %(bronze)s END, g %% 200 = 0,
                  'P' || %(program)s || 'M' || g, %(as_of)s, %(as_of)s - interval '3 years', %(as_of)s
           FROM generate_series(1, %(n)s) g""",
        # Orders: (member id × 7) mod 9 of them, placed over the 24 months before as-of; 1 in 20 partly refunded.
        """INSERT INTO members_order (program_id, member_id, order_id, subtotal, currency, placed_at, points_awarded,
               points_status, refunded_amount, points_reversed, referral_code, items, created_at)
           SELECT m.program_id, m.id, m.id || '-' || k, s.subtotal, 'USD', s.placed_at, floor(s.subtotal), 'active',
                  CASE WHEN (m.id + k) %% 20 = 0 THEN round(s.subtotal / 2, 2) ELSE 0 END,
                  CASE WHEN (m.id + k) %% 20 = 0 THEN floor(s.subtotal) - floor(floor(s.subtotal) / 2) ELSE 0 END,
                  '', '[]', s.placed_at
           FROM members_member m
           CROSS JOIN LATERAL generate_series(1, (m.id * 7) %% 9) k
           CROSS JOIN LATERAL (SELECT ((5 + ((m.id * 31 + k * 17) %% 200)) * CASE WHEN (m.id * 37) %% 100 < 1 THEN 15
                                        WHEN (m.id * 37) %% 100 < 8 THEN 5 WHEN (m.id * 37) %% 100 < 30 THEN 2
                                        ELSE 1 END)::numeric(14, 2) AS subtotal,
                                      %(as_of)s - ((m.id * 13 + k * 101) %% 730) * interval '1 day'
                                        - ((m.id + k) %% 86400) * interval '1 second' AS placed_at) s
           WHERE m.program_id = %(program)s""",
        # One earn row per order, at its placed_at.
        """INSERT INTO members_transaction (program_id, member_id, kind, points, balance_after, status, source,
               description, idempotency_key, request_fingerprint, order_id, created_at)
           SELECT o.program_id, o.member_id, 'earn', o.points_awarded, 0, 'active', 'order', 'Order',
                  'order:' || o.order_id, '', o.id, o.placed_at
           FROM members_order o WHERE o.program_id = %(program)s AND o.points_awarded > 0""",
        # The refunds' rows, a day after the order (attributed to the order's date by the tier metric).
        """INSERT INTO members_transaction (program_id, member_id, kind, points, balance_after, status, source,
               description, idempotency_key, request_fingerprint, order_id, created_at)
           SELECT o.program_id, o.member_id, 'refund', -o.points_reversed, 0, 'active', 'order', 'Refund',
                  'refund:' || o.order_id, '', o.id, o.placed_at + interval '1 day'
           FROM members_order o WHERE o.program_id = %(program)s AND o.points_reversed > 0""",
        # A sign-up bonus per member, and a redemption for one member in five.
        """INSERT INTO members_transaction (program_id, member_id, kind, points, balance_after, status, source,
               description, idempotency_key, request_fingerprint, created_at)
           SELECT m.program_id, m.id, 'earn', 100, 100, 'active', 'rule', 'Sign-up', 'signup:' || m.id, '',
                  m.created_at
           FROM members_member m WHERE m.program_id = %(program)s""",
        """INSERT INTO members_transaction (program_id, member_id, kind, points, balance_after, status, source,
               description, idempotency_key, request_fingerprint, created_at)
           SELECT m.program_id, m.id, 'redeem', -100, 0, 'active', 'redemption', 'Reward', 'redeem:' || m.id, '',
                  %(as_of)s - interval '10 days'
           FROM members_member m WHERE m.program_id = %(program)s AND m.id %% 5 = 0""",
    ]
    with connection.cursor() as cursor:
        for sql in statements:
            started = time.perf_counter()
            cursor.execute(sql, p)
            log(
                f"seeded {cursor.rowcount:,} rows in {time.perf_counter() - started:.1f} s: {sql.split('(')[0].strip()}"
            )


SEED_TABLES = ["members_member", "members_order", "members_transaction"]


@contextmanager
def _bulk_load():
    """Seed like a restore does: secondary indexes rebuilt once afterwards instead of row by row, and no
    per-row foreign-key triggers (the generated rows are consistent by construction; needs a superuser)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = ANY(%s)"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            [SEED_TABLES],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            started = time.perf_counter()
            for _name, definition in indexes:
                cursor.execute(definition)
            log(f"{len(indexes)} indexes rebuilt in {time.perf_counter() - started:.1f} s")


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("members_member", "members_order", "members_transaction", "members_tierchange"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def _reset(program) -> None:
    """Back to the seeded state: Bronze for everyone not held by hand, no recalculation history."""
    from django.db import connection

    bronze = program.tiers.get(key="bronze").pk
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM members_tierchange WHERE member_id IN (SELECT id FROM members_member WHERE program_id = %s)",
            [program.pk],
        )
        cursor.execute(
            "UPDATE members_member SET tier_id = %s, tier_achieved_at = NULL WHERE program_id = %s AND NOT tier_locked",
            [bronze, program.pk],
        )
    _analyze()


def _outcome(program) -> dict:
    """What a re-tiering produced: members per tier, history rows, and a digest of every (member, tier)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.key, count(*) FROM members_member m JOIN loyalty_tier t ON t.id = m.tier_id"
            " WHERE m.program_id = %s GROUP BY t.key ORDER BY t.key",
            [program.pk],
        )
        per_tier = dict(cursor.fetchall())
        cursor.execute(
            "SELECT md5(string_agg(m.id || ':' || coalesce(m.tier_id, 0), ',' ORDER BY m.id)),"
            " (SELECT count(*) FROM members_tierchange tc JOIN members_member mm ON mm.id = tc.member_id"
            "  WHERE mm.program_id = %s AND tc.reason = 'recalculated')"
            " FROM members_member m WHERE m.program_id = %s",
            [program.pk, program.pk],
        )
        digest, history = cursor.fetchone()
    return {"per_tier": per_tier, "history_rows": history, "digest": digest}


def _measure_job(program) -> dict:
    from django.db import connection

    from members.services.tier_recalculation import tiers_recalculate

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    tracemalloc.start()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        moved = tiers_recalculate(as_of=AS_OF, program_ids=[program.pk])
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": round(seconds, 2),
        "moved": moved,
        "queries": len(queries),
        "python_peak_kib": round(peak / 1024),
        "rss_growth_kib": rss_after - rss_before,
    }


HAND_WRITTEN_SQL = """
WITH earned AS (
    SELECT t.member_id, SUM(t.points) AS points
    FROM members_transaction t LEFT JOIN members_order o ON o.id = t.order_id
    WHERE t.program_id = %(program)s AND t.status = 'active' AND t.kind IN ('earn', 'bonus', 'referral', 'refund')
      AND COALESCE(o.placed_at, t.created_at) BETWEEN %(start)s AND %(as_of)s
    GROUP BY t.member_id
), target AS (
    SELECT m.id, m.tier_id AS from_tier,
           CASE WHEN COALESCE(e.points, 0) >= 10000 THEN %(diamond)s
                WHEN COALESCE(e.points, 0) >= 5000 THEN %(platinum)s
                WHEN COALESCE(e.points, 0) >= 2000 THEN %(gold)s
                WHEN COALESCE(e.points, 0) >= 500 THEN %(silver)s
                ELSE %(bronze)s END AS to_tier
    FROM members_member m LEFT JOIN earned e ON e.member_id = m.id
    WHERE m.program_id = %(program)s AND NOT m.tier_locked
), moved AS (
    UPDATE members_member m SET tier_id = t.to_tier, tier_achieved_at = %(as_of)s
    FROM target t WHERE m.id = t.id AND t.to_tier IS DISTINCT FROM t.from_tier
    RETURNING m.id, t.from_tier, t.to_tier
)
INSERT INTO members_tierchange (member_id, from_tier_id, to_tier_id, reason, created_at)
SELECT id, from_tier, to_tier, 'recalculated', %(as_of)s FROM moved
"""


def _measure_sql(program) -> dict:
    from django.db import connection, transaction

    params = {key: pk for key, pk in program.tiers.values_list("key", "pk")}
    params.update(program=program.pk, as_of=AS_OF, start=AS_OF.replace(year=AS_OF.year - 1))
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(HAND_WRITTEN_SQL, params)
        moved = cursor.rowcount
    return {"seconds": round(time.perf_counter() - started, 2), "moved": moved, "queries": 1}


def bench(*, members: int = 1_000_000, docs: Path | None = None) -> dict:
    """Seed, run the job on a program of members/10 then on one of `members`, run the hand-written SQL on the
    big one, check both gave the same tiers, and return (and write to `docs`) the numbers."""
    from django.db import connection

    assert connection.vendor == "postgresql", "the tier bench runs on PostgreSQL"
    small, big = _program(f"bench-tiers-small-{os.getpid()}"), _program(f"bench-tiers-{os.getpid()}")
    started = time.perf_counter()
    with _bulk_load():
        _seed(small, max(members // 10, 1))
        _seed(big, members)
    _analyze()
    seed_seconds = time.perf_counter() - started
    log(f"seeded in {seed_seconds:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM members_transaction WHERE program_id = %s", [big.pk])
        ledger_rows = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM members_order WHERE program_id = %s", [big.pk])
        orders = cursor.fetchone()[0]

    job_small = _measure_job(small)
    log(f"job on {members // 10:,} members: {job_small}")
    job = _measure_job(big)
    log(f"job on {members:,} members: {job}")
    job_outcome = _outcome(big)
    again = _measure_job(big)
    log(f"second run, same as-of: {again}")
    _reset(big)
    sql = _measure_sql(big)
    log(f"hand-written SQL: {sql}")
    sql_outcome = _outcome(big)
    results = job_vs_sql_results(
        job=job,
        job_small=job_small,
        again=again,
        sql=sql,
        same_outcome=job_outcome == sql_outcome,
        members=members,
        orders=orders,
        ledger_rows=ledger_rows,
        seed_seconds=round(seed_seconds, 1),
        outcome=job_outcome,
    )
    if docs is not None:
        docs_section_write(docs, _section(results))
    return results


def _section(r: dict) -> str:
    job, small, sql, again = r["job"], r["job_small"], r["sql"], r["job_second_run"]
    verdict = (
        "met"
        if r["ratio"] is not None and r["ratio"] <= TARGET_RATIO and job["seconds"] < TARGET_SECONDS
        else "NOT met"
    )
    tiers = ", ".join(f"{k} {v:,}" for k, v in sorted(r["outcome"]["per_tier"].items()))
    return f"""{SECTION}

Measured {datetime.now(UTC):%Y-%m-%d} by `python -m tests.bench.bench_tiers --members {r["members"]}` (also run by
`make bench`), PostgreSQL {r["postgres"] // 10000} with its default settings, on the same machine and database in
one run: {r["cpus"]} CPUs, 5-minute load average {r["load_average"]} while it ran (absolute times scale with that
load; the ratio to the hand-written statement, measured in the same conditions, is the figure to compare).
Data: {r["members"]:,} members, {r["orders"]:,} orders, {r["ledger_rows"]:,} ledger rows (earn, refund, sign-up,
redemption) spread over 24 months; metric points earned in a rolling 12 months, five thresholds plus an
invite-only tier held by hand by 0.5 % of members; everyone starts in Bronze, so most members move (worst case).
Seeding took {r["seed_seconds"]:.0f} s.

| run | members | time | members moved | queries | Python peak (tracemalloc) | RSS growth |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
| `recalculate_tiers` | {r["members"] // 10:,} | {small["seconds"]:.1f} s | {small["moved"]:,} | {small["queries"]} | {small["python_peak_kib"]:,} KiB | {small["rss_growth_kib"]:,} KiB |
| `recalculate_tiers` | {r["members"]:,} | {job["seconds"]:.1f} s | {job["moved"]:,} | {job["queries"]} | {job["python_peak_kib"]:,} KiB | {job["rss_growth_kib"]:,} KiB |
| same as-of again | {r["members"]:,} | {again["seconds"]:.1f} s | {again["moved"]:,} | {again["queries"]} | {again["python_peak_kib"]:,} KiB | {again["rss_growth_kib"]:,} KiB |
| one hand-written SQL statement | {r["members"]:,} | {sql["seconds"]:.1f} s | {sql["moved"]:,} | 1 | – | – |

- Job / hand-written SQL: **{r["ratio"]}×**; target ≤ {TARGET_RATIO:g}× and under {TARGET_SECONDS} s: {verdict}
  (the hand-written statement alone took {sql["seconds"]:.0f} s in the same conditions).
- Same outcome (tier of every member, history rows): **{"yes" if r["same_outcome"] else "NO"}**. Tiers after the
  run: {tiers}; {r["outcome"]["history_rows"]:,} history rows.
- Memory is flat in the number of members: the job streams nothing through Python; per chunk of 50,000
  members one statement computes, updates and records on the server, so the Python peak is the same for
  {r["members"] // 10:,} and {r["members"]:,} members. Queries: 2 per program plus 2 per chunk of 50,000 members
  (find the chunk's last id, run the chunk's statement) and one to find there is no further chunk.
- Most of the time is reading: the second run, which moves nobody, takes {again["seconds"]:.0f} s of the
  {job["seconds"]:.0f} s.
- The job does more than the statement: members' tiers are written only if their tier and counters are unchanged
  since the chunk's snapshot (safe beside live orders), chunks commit separately (short locks), and every
  program's own tiers, metric, period and time zone apply.
"""


if __name__ == "__main__":
    bench_main(bench, __doc__)
