"""Paid-membership bench: the `memberships_lapse` job over N members whose paid period ended (default of the
command line 1,000,000; `--members 50000` is what the section records), beside a hand-written lower bound in the
same run: three statements that lapse the same memberships and put the same members back in the entry tier with
their history rows (no locks, no chunks, no emails).

`python -m tests.bench.bench_memberships --members 50000 [--no-docs]`. Database handling as in bench_tiers
(DATABASE_URL, or a throwaway database on BENCH_PG_URL). Writes the `## Paid membership lapse` section.
Data: a program of its own (Bronze entry tier, Plus invite-only, a monthly plan), N members bulk-inserted, each
holding Plus through a membership that ended a day before the as-of; one run of the job, then the same data set
restored and the hand-written statements run on it.
"""

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from tests.bench.common import bench_log, bench_main, cpu_meter, docs_section_write

SECTION = "## Paid membership lapse"
AS_OF = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
BATCH = 5000
HAND_WRITTEN = [
    "UPDATE memberships_membership SET status = 'lapsed', lapsed_at = %(as_of)s"
    " WHERE program_id = %(program)s AND status IN ('active', 'cancelled') AND paid_until < %(as_of)s",
    "INSERT INTO members_tierchange (member_id, from_tier_id, to_tier_id, reason, created_at)"
    " SELECT id, tier_id, %(entry)s, 'membership', %(as_of)s FROM members_member"
    " WHERE program_id = %(program)s AND tier_id = %(plus)s",
    "UPDATE members_member SET tier_id = %(entry)s, tier_locked = false, updated_at = now()"
    " WHERE program_id = %(program)s AND tier_id = %(plus)s",
]


log = bench_log("bench_memberships")


def _seed(members: int):
    from loyalty.models import Merchant, Program, Tier
    from members.models import Member
    from memberships.models import Membership, MembershipPlan

    merchant = Merchant.objects.create(name="Bench memberships")
    program = Program.objects.create(
        merchant=merchant, slug=f"bench-memberships-{os.getpid()}", name="Bench", currency="USD"
    )
    bronze = Tier.objects.create(program=program, key="bronze", name="Bronze", position=0, threshold=Decimal(0))
    plus = Tier.objects.create(program=program, key="plus", name="Plus", position=1, invite_only=True)
    plan = MembershipPlan.objects.create(
        program=program, key="plus", name="Plus", price=Decimal("9.99"), currency="USD", tier=plus
    )
    ended = AS_OF - timedelta(days=1)
    for start in range(0, members, BATCH):
        rows = [
            Member(
                program=program,
                customer_id=f"m{n}",
                email=f"m{n}@example.com",
                referral_code=f"B{program.pk}X{n}",
                tier=plus,
                tier_locked=True,
            )
            for n in range(start, min(start + BATCH, members))
        ]
        Member.objects.bulk_create(rows)
        Membership.objects.bulk_create(
            Membership(
                program=program,
                member=m,
                plan=plan,
                started_at=ended - timedelta(days=30),
                paid_until=ended,
                previous_tier=bronze,
            )
            for m in rows
        )
        log(f"seeded {min(start + BATCH, members):,} members")
    return program, bronze, plus


def _reset(program, plus) -> None:
    """Back to every member paying and holding Plus, no history or emails (for the hand-written run)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM members_tierchange WHERE member_id IN (SELECT id FROM members_member WHERE program_id = %s)",
            [program.pk],
        )
        cursor.execute("DELETE FROM members_notification WHERE program_id = %s", [program.pk])
        cursor.execute(
            "UPDATE memberships_membership SET status = 'active', lapsed_at = NULL WHERE program_id = %s", [program.pk]
        )
        cursor.execute(
            "UPDATE members_member SET tier_id = %s, tier_locked = true WHERE program_id = %s", [plus.pk, program.pk]
        )
        cursor.execute("ANALYZE members_member; ANALYZE memberships_membership; ANALYZE members_tierchange")


def bench(*, members: int = 1_000_000, docs: Path | None = None) -> dict:
    from django.db import connection, transaction

    from members.models import Member
    from memberships.services.lapse import memberships_lapse

    program, bronze, plus = _seed(members)
    _reset(program, plus)
    with cpu_meter() as job:
        lapsed = memberships_lapse(AS_OF)
    job_outcome = Member.objects.filter(program=program, tier=bronze, tier_locked=False).count()
    with cpu_meter() as again:
        lapsed_again = memberships_lapse(AS_OF)
    _reset(program, plus)
    params = {"as_of": AS_OF, "program": program.pk, "entry": bronze.pk, "plus": plus.pk}
    with cpu_meter() as sql, transaction.atomic(), connection.cursor() as cursor:
        for statement in HAND_WRITTEN:
            cursor.execute(statement, params)
    sql_outcome = Member.objects.filter(program=program, tier=bronze, tier_locked=False).count()
    results = {
        "members": members,
        "lapsed": lapsed,
        "lapsed_again": lapsed_again,
        "job": job,
        "again": again,
        "sql": sql,
        "ratio": round(job["seconds"] / max(sql["seconds"], 0.01), 2),
        "cpu_ratio": round(
            (job["python_cpu_s"] + job["db_cpu_s"]) / max(sql["python_cpu_s"] + sql["db_cpu_s"], 0.01), 2
        ),
        "same_outcome": job_outcome == sql_outcome == members,
        "load_average": " / ".join(f"{v:.2f}" for v in os.getloadavg()),
        "cpus": os.cpu_count(),
        "measured": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
    }
    if docs is not None:
        docs_section_write(docs, _section(results))
    return results


def _section(r: dict) -> str:
    job, sql, again = r["job"], r["sql"], r["again"]
    return f"""{SECTION}

`python -m tests.bench.bench_memberships --members {r["members"]}` ({r["measured"]}, {r["cpus"]} CPUs, 1/5/15-minute
load average {r["load_average"]}: the machine is shared; CPU figures and same-run ratios are the ones to compare).

| measure | wall | CPU (Python + PostgreSQL backend) |
| --- | ---: | ---: |
| `memberships_lapse`: {r["lapsed"]:,} memberships lapsed, members re-tiered, history and emails queued | {job["seconds"]} s | {job["python_cpu_s"]} + {job["db_cpu_s"]} s |
| hand-written lower bound (3 statements, no locks, chunks or emails; same run) | {sql["seconds"]} s | {sql["python_cpu_s"]} + {sql["db_cpu_s"]} s |
| ratio (wall · CPU) · same members back in the entry tier | {r["ratio"]}× · {r["cpu_ratio"]}× · {r["same_outcome"]} | |
| the job again for the same as-of ({r["lapsed_again"]} lapsed) | {again["seconds"]} s | {again["python_cpu_s"]} + {again["db_cpu_s"]} s |

The job does more than the lower bound: it locks each chunk's members (so a renewal committing meanwhile is
never lapsed), re-tiers members on their activity with the tier job's statement instead of assuming the entry
tier, and queues one email per membership (a notification row each, sending after commit).
"""


if __name__ == "__main__":
    bench_main(bench, __doc__)
