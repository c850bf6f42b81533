"""Point expiry bench: `expire_points` on N members / 5N ledger rows (fixed policy), on PostgreSQL, beside one
hand-written SQL statement doing the same expiry in the same run.

`python -m tests.bench.bench_expiry [--members 1000000] [--no-docs]`. Database handling as in bench_tiers
(DATABASE_URL, or a throwaway database on BENCH_PG_URL). Writes the `## Point expiry` section of BENCH_DOCS.

Data: `manage.py seed_bench` (members/bench_seed.py, generated server-side): per member a sign-up lot and 0–8
order lots over the two years before as-of, each expiring 365 days after it was earned, one order in 20 half
refunded, one member in five having spent 100 points from their oldest valid lots (fixed policy). No expiry has
run yet, so every lot past its date is due: the backlog of a first run (about three lots in five). Balances equal
the lots left, as the ledger keeps them. Members have unsubscribed from emails (the notification path costs one
query per chunk; sending is Celery's work, not the job's). With BENCH_PROGRAM=SLUG the programs SLUG and
SLUG-small seeded beforehand in the same database are measured (as `make bench` does).
The hand-written statement runs first inside a transaction that is rolled back, then the job runs on the same
rows; a program of N/10 members is measured too, to show the job's memory does not grow with the rows.
"""

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
SECTION = "## Point expiry"
AS_OF = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
TARGET_RATIO = 3.0


log = bench_log("bench_expiry")


def _analyze() -> None:
    vacuum_analyze("members_member", "members_transaction")


def _outcome(program) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT md5(string_agg(id || ':' || points_balance, ',' ORDER BY id)), SUM(points_balance)"
            " FROM members_member WHERE program_id = %s",
            [program.pk],
        )
        digest, balances = cursor.fetchone()
        cursor.execute(
            "SELECT count(*), -SUM(points), md5(string_agg(member_id || ':' || points || ':' || balance_after, ','"
            " ORDER BY member_id, created_at, points)) FROM members_transaction WHERE program_id = %s AND kind = 'expire'",
            [program.pk],
        )
        rows, expired, rows_digest = cursor.fetchone()
        cursor.execute(
            "SELECT COALESCE(SUM(remaining), 0) FROM members_transaction WHERE program_id = %s AND expires_at <= %s",
            [program.pk, AS_OF],
        )
        left_in_due_lots = cursor.fetchone()[0]
    return {
        "balances_digest": digest,
        "balances": int(balances or 0),
        "expire_rows": rows,
        "points_expired": int(expired or 0),
        "expire_rows_digest": rows_digest,
        "left_in_due_lots": int(left_in_due_lots),
    }


def _measure_job(program) -> dict:
    from members.services.expiry import expire_points

    return job_measure(lambda: expire_points(AS_OF, program_ids=[program.pk]), result="rows")


HAND_WRITTEN_SQL = """
WITH due AS (
    SELECT l.id, l.member_id, l.remaining, l.expires_at, m.points_balance AS balance,
           SUM(l.remaining) OVER (PARTITION BY l.member_id ORDER BY l.expires_at, l.id) AS running
    FROM members_transaction l JOIN members_member m ON m.id = l.member_id
    WHERE l.program_id = %(program)s AND l.status = 'active' AND l.remaining > 0 AND l.expires_at <= %(as_of)s
), written AS (
    INSERT INTO members_transaction (program_id, member_id, kind, points, balance_after, status, source, description,
                                     idempotency_key, request_fingerprint, created_at)
    SELECT %(program)s, member_id, 'expire', -remaining, balance - running, 'active', 'job', 'Points expired',
           'expire:' || id, '', expires_at
    FROM due ORDER BY member_id, expires_at, id
    RETURNING 1
), spent AS (
    UPDATE members_transaction t SET remaining = 0 FROM due WHERE t.id = due.id RETURNING 1
), debited AS (
    UPDATE members_member m SET points_balance = m.points_balance - s.total, updated_at = now()
    FROM (SELECT member_id, SUM(remaining) AS total FROM due GROUP BY member_id) s WHERE m.id = s.member_id
    RETURNING 1
)
SELECT (SELECT count(*) FROM written), (SELECT count(*) FROM spent), (SELECT count(*) FROM debited)
"""


def _measure_sql_then_roll_back(program) -> tuple[dict, dict]:
    from django.db import connection, transaction

    with transaction.atomic():
        with cpu_meter() as used, connection.cursor() as cursor:
            cursor.execute(HAND_WRITTEN_SQL, {"program": program.pk, "as_of": AS_OF})
            written, _spent, _debited = cursor.fetchone()
        outcome = _outcome(program)
        transaction.set_rollback(True)
    return {**used, "rows": written, "statements": 1}, outcome


def bench(*, members: int = 1_000_000, docs: Path | None = None) -> dict:
    from django.db import connection

    assert connection.vendor == "postgresql", "the expiry bench runs on PostgreSQL"
    small, big, seed_seconds = seeded_programs(members, name="expiry", as_of=AS_OF, log=log)
    members = big.members.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM members_transaction WHERE program_id = %s", [big.pk])
        ledger_rows = cursor.fetchone()[0]
    log(f"{members:,} members, {ledger_rows:,} ledger rows")
    sql, sql_outcome = _measure_sql_then_roll_back(big)
    log(f"hand-written SQL (rolled back): {sql}")
    _analyze()
    job_small = _measure_job(small)
    log(f"job on {small.members.count():,} members: {job_small}")
    job = _measure_job(big)
    log(f"job on {members:,} members: {job}")
    job_outcome = _outcome(big)
    again = _measure_job(big)
    log(f"second run, same as-of: {again}")
    results = job_vs_sql_results(
        job=job,
        job_small=job_small,
        again=again,
        sql=sql,
        same_outcome=job_outcome == sql_outcome,
        members=members,
        ledger_rows=ledger_rows,
        seed_seconds=seed_seconds,
        outcome=job_outcome,
    )
    if docs is not None:
        docs_section_write(docs, _section(results))
        command = "python -m tests.bench.bench_expiry"
        summary_write(docs, [job_summary_row("job expire_points", "`expire_points`", results, TARGET_RATIO, command)])
    return results


def _section(r: dict) -> str:
    job, small, sql, again, out = r["job"], r["job_small"], r["sql"], r["job_second_run"], r["outcome"]
    verdict = "met" if r["ratio"] is not None and r["ratio"] <= TARGET_RATIO else "NOT met"
    row = "| {name} | {members:,} | {seconds:.1f} s | {rows:,} | {statements:,} | {cpu} | {peak} | {rss} |"
    table = "\n".join(
        [
            row.format(name="`expire_points`", members=r["members"] // 10, **small, cpu=cpu(small), peak=f"{small['python_peak_kib']:,} KiB", rss=f"{small['rss_growth_kib']:,} KiB"),
            row.format(name="`expire_points`", members=r["members"], **job, cpu=cpu(job), peak=f"{job['python_peak_kib']:,} KiB", rss=f"{job['rss_growth_kib']:,} KiB"),
            row.format(name="same as-of again", members=r["members"], **again, cpu=cpu(again), peak=f"{again['python_peak_kib']:,} KiB", rss=f"{again['rss_growth_kib']:,} KiB"),
            row.format(name="one hand-written SQL statement", members=r["members"], **sql, cpu=cpu(sql), peak="–", rss="–"),
        ]
    )  # fmt: skip
    return f"""{SECTION}

Measured {datetime.now(UTC):%Y-%m-%d} by `python -m tests.bench.bench_expiry --members {r["members"]}` (also run by
`make bench`), PostgreSQL {r["postgres"] // 10000} with its default settings, same machine and database in one run:
{r["cpus"]} CPUs, 5-minute load average {r["load_average"]} while it ran (other work shared the machine: compare
the ratio, measured in the same conditions, rather than absolute times).
Data: {r["members"]:,} members, {r["ledger_rows"]:,} ledger rows of `manage.py seed_bench`: a sign-up lot and 0–8
order lots per member over two years, each expiring 365 days after it was earned, refunds, redemptions spent from
the oldest valid lots; no expiry has run yet, so every lot past its date is due (fixed policy).
{seeding_note(r)}

| run | members | time | expire rows | statements | CPU: Python + PostgreSQL | Python peak (tracemalloc) | RSS growth |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
{table}

- Job / hand-written SQL: **{r["ratio"]}×** by wall time, {r["cpu_ratio"]}× by CPU; target ≤ {TARGET_RATIO:g}×:
  {verdict}.
- Same outcome (every balance, every expire row's member, points and balance after): **{"yes" if r["same_outcome"] else "NO"}**;
  {out["expire_rows"]:,} rows, {out["points_expired"]:,} points expired, {out["left_in_due_lots"]} left in due lots.
- Memory is flat in the number of rows: nothing but a chunk's member totals passes through Python (chunks of
  5,000 members), so the peak is the same for {r["members"] // 10:,} and {r["members"]:,} members. Statements:
  per chunk of members one to find its id range, one to lock the members with due lots, one for their totals,
  one INSERT … SELECT of the expire rows, one UPDATE … FROM of the balances, one UPDATE of the lots, one to see
  who takes emails and one to see whether an endpoint listens — 8 per 5,000 members; a chunk with nothing due
  stops after the lock.
- The job does more than the statement: it commits per chunk (short locks, progress kept across a crash), locks
  the members it debits in primary-key order like every ledger writer, never expires more than a balance holds,
  and records the notifications and webhook events of what expired.
"""


if __name__ == "__main__":
    bench_main(bench, __doc__)
