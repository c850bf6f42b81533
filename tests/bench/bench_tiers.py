"""Tier recalculation bench: `recalculate_tiers` on N members with realistic ledgers, on PostgreSQL, beside
one hand-written SQL statement doing the same re-tiering in the same run.

`python -m tests.bench.bench_tiers [--members 1000000] [--no-docs]`. With DATABASE_URL pointing at a migrated
PostgreSQL database (as `make bench` passes it), it works there; without, it creates, migrates and drops a
throwaway database on BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432). `bench(members=N)` is what
the harness calls; it returns the numbers and writes the `## Tier recalculation` section of BENCH_DOCS
(default docs/benchmarks.md).

Data: `manage.py seed_bench` (members/bench_seed.py), generated server-side with INSERT … SELECT over
generate_series (minutes, not hours): a program earning points in a rolling 12 months, Bronze 0, Silver 500,
Gold 2,000, Platinum 5,000, Diamond 10,000 and an invite-only Reserve held by hand by 0.5 % of the members; per
member 0–8 orders (4 on average) over the 24 months before as-of with their earn rows, subtotals of 5–205, twice
that for 22 % of members, 5× for 7 %, 15× for 1 %; one order in 20 half refunded; a sign-up bonus each; a
redemption for one member in 5 (redemptions don't count toward tiers, but the job has to read past them).
Every member starts in Bronze, as if never recalculated: the worst case, where most of them move.
With BENCH_PROGRAM=SLUG the programs SLUG and SLUG-small, seeded beforehand in the same database (as `make bench`
does once for all its 1M-member benches), are measured instead of seeding new ones.
A small program of N/10 members is measured first with the same job, to show the job's memory does not
grow with the number of members.
"""

import os
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from tests.bench.common import (
    bench_log,
    bench_main,
    cpu_meter,
    docs_section_write,
    job_measure,
    job_summary_row,
    job_vs_sql_results,
    seeded_programs,
    seeding_note,
    summary_write,
    vacuum_analyze,
)
from tests.bench.common import (
    cpu_cell as cpu,
)

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Tier recalculation"
AS_OF = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
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


log = bench_log("bench_tiers")


def _analyze() -> None:
    vacuum_analyze("members_member", "members_order", "members_transaction", "members_tierchange")


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
    from members.services.tier_recalculation import tiers_recalculate

    return job_measure(
        lambda: tiers_recalculate(as_of=AS_OF, program_ids=[program.pk]), result="moved", statements="queries"
    )


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
    with cpu_meter() as used, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(HAND_WRITTEN_SQL, params)
        moved = cursor.rowcount
    return {**used, "moved": moved, "queries": 1}


def bench(*, members: int = 1_000_000, docs: Path | None = None) -> dict:
    """Seed, run the job on a program of members/10 then on one of `members`, run the hand-written SQL on the
    big one, check both gave the same tiers, and return (and write to `docs`) the numbers."""
    from django.db import connection

    assert connection.vendor == "postgresql", "the tier bench runs on PostgreSQL"
    small, big, seed_seconds = seeded_programs(members, name="tiers", as_of=AS_OF, log=log)
    members = big.members.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM members_transaction WHERE program_id = %s", [big.pk])
        ledger_rows = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM members_order WHERE program_id = %s", [big.pk])
        orders = cursor.fetchone()[0]

    job_small = _measure_job(small)
    log(f"job on {small.members.count():,} members: {job_small}")
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
        seed_seconds=seed_seconds,
        outcome=job_outcome,
    )
    if docs is not None:
        docs_section_write(docs, _section(results))
        summary_write(
            docs,
            [
                job_summary_row(
                    "job recalculate_tiers",
                    "`recalculate_tiers`",
                    results,
                    TARGET_RATIO,
                    "python -m tests.bench.bench_tiers",
                )
            ],
        )
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
{seeding_note(r)}

| run | members | time | members moved | queries | CPU: Python + PostgreSQL | Python peak (tracemalloc) | RSS growth |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| `recalculate_tiers` | {r["members"] // 10:,} | {small["seconds"]:.1f} s | {small["moved"]:,} | {small["queries"]} | {cpu(small)} | {small["python_peak_kib"]:,} KiB | {small["rss_growth_kib"]:,} KiB |
| `recalculate_tiers` | {r["members"]:,} | {job["seconds"]:.1f} s | {job["moved"]:,} | {job["queries"]} | {cpu(job)} | {job["python_peak_kib"]:,} KiB | {job["rss_growth_kib"]:,} KiB |
| same as-of again | {r["members"]:,} | {again["seconds"]:.1f} s | {again["moved"]:,} | {again["queries"]} | {cpu(again)} | {again["python_peak_kib"]:,} KiB | {again["rss_growth_kib"]:,} KiB |
| one hand-written SQL statement | {r["members"]:,} | {sql["seconds"]:.1f} s | {sql["moved"]:,} | 1 | {cpu(sql)} | – | – |

- Job / hand-written SQL: **{r["ratio"]}×** by wall time, {r["cpu_ratio"]}× by CPU; target ≤ {TARGET_RATIO:g}× and
  under {TARGET_SECONDS} s: {verdict}
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
