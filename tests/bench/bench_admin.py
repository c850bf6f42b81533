"""Merchant admin bench: the member list, a member page and the program's analytics dashboard, timed at N
members on PostgreSQL (server-side time through Django's test client: middleware, admin, templates, SQL).

`python -m tests.bench.bench_admin [--members 1000000] [--no-docs]` (`BENCH_ADMIN_PROGRAM=<slug>` times an already
seeded program again). With DATABASE_URL pointing at a migrated
PostgreSQL database it works there; without, it creates, migrates and drops a throwaway database (as
`tests/bench/bench_tiers.py` does). The data comes from `members.bench_seed` (`manage.py seed_bench`: members,
orders, refunds, redemptions and their ledger rows over two years, generated server-side). The analytics
rollups are then built from scratch (`rollups_rebuild`, timed) and refreshed once more incrementally (timed), as
the hourly `refresh_analytics` job would. `bench(members=N)` is what a harness calls; it returns the numbers and
writes the `## Merchant admin` section of BENCH_DOCS (docs/benchmarks.md).
"""

import os
import statistics
import time
from pathlib import Path

from tests.bench.bench_tiers import log
from tests.bench.common import bench_main, docs_section_write

SECTION = "## Merchant admin"
RUNS = 7
TARGET_SECONDS = 1.0


def _staff_client(program):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from loyalty.choices import StaffRole
    from loyalty.services.staff import merchant_staff_add

    user, _created = get_user_model().objects.get_or_create(username=f"bench-owner-{program.pk}")
    merchant_staff_add(user=user, merchant=program.merchant, role=StaffRole.OWNER)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def _time(client, url: str) -> dict:
    """Median and worst of RUNS requests after one warm-up, with the response's size and status."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    seconds = []
    for _ in range(RUNS):
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            seconds.append(time.perf_counter() - started)
    return {
        "url": url,
        "median_ms": round(1000 * statistics.median(seconds), 1),
        "max_ms": round(1000 * max(seconds), 1),
        "queries": len(queries.captured_queries),
        "bytes": len(response.content),
    }


def _seed(members: int):
    from django.utils import timezone

    from members import bench_seed

    program = bench_seed.bench_program(slug=f"bench-admin-{os.getpid()}", as_of=timezone.now())
    with bench_seed.bulk_load(bench_seed.SEED_TABLES, log):
        bench_seed.seed_members(program, members=members, as_of=timezone.now(), log=log)
    bench_seed.analyze()
    return program


def _rollups(program) -> dict:
    """The dashboard's rollups built from scratch, then refreshed incrementally (nothing new: the last refresh's
    day and the one before, and this month's member steps, are recomputed as every hourly run does)."""
    from django.utils import timezone

    from analytics.services.rollups import rollups_rebuild, rollups_refresh

    timings = {}
    for name, refresh in [("full rebuild", rollups_rebuild), ("incremental refresh", rollups_refresh)]:
        started, cpu = time.perf_counter(), time.process_time()
        rows = refresh(program=program, as_of=timezone.now())
        timings[name] = {"seconds": round(time.perf_counter() - started, 1), "rows": rows,
                         "python_cpu_s": round(time.process_time() - cpu, 2)}  # fmt: skip
        log(f"rollups {name}: {timings[name]}")
    return timings


def _name_search_plan(program, term: str) -> str:
    """PostgreSQL's plan of the admin's name search: it must probe the UPPER(name) text_pattern_ops indexes."""
    from django.contrib import admin

    from members.models import Member

    member_admin = admin.site._registry[Member]
    queryset, _distinct = member_admin.get_search_results(None, Member.objects.filter(program=program), term)
    return queryset.order_by("-pk")[:100].explain()


def bench(*, members: int = 1_000_000, docs: Path | None = None) -> dict:
    from django.db import connection
    from django.urls import reverse

    from loyalty.models import Program
    from members.models import Member

    assert connection.vendor == "postgresql", "the admin bench runs on PostgreSQL"
    started = time.perf_counter()
    reuse = os.environ.get("BENCH_ADMIN_PROGRAM")  # the slug of a program an earlier run seeded: no re-seeding
    program = Program.objects.get(slug=reuse) if reuse else _seed(members)
    members = Member.objects.filter(program=program).count() if reuse else members
    seed_seconds = time.perf_counter() - started
    log(f"seeded {members:,} members in {seed_seconds:.0f} s" + (" (reused)" if reuse else ""))
    rollups = _rollups(program)
    plan = _name_search_plan(program, "Zed")
    log(plan)
    client = _staff_client(program)
    member = Member.objects.filter(program=program).order_by("pk")[members // 2]
    pages = {
        "member list": reverse("admin:members_member_changelist"),
        "member search (email)": reverse("admin:members_member_changelist") + f"?q={member.email}",
        "member search (name prefix, rare)": reverse("admin:members_member_changelist") + "?q=Zed",
        "member search (name prefix, 1 in 8)": reverse("admin:members_member_changelist") + "?q=Sar",
        "member page": reverse("admin:members_member_change", args=[member.pk]),
        "dashboard (last 12 months)": reverse("admin:loyalty_program_dashboard", args=[program.pk]),
        "dashboard (2 years)": reverse("admin:loyalty_program_dashboard", args=[program.pk])
        + "?from=2024-12&to=2026-11",
        "dashboard CSV (summary)": reverse("admin:loyalty_program_dashboard_csv", args=[program.pk, "summary"]),
    }
    timings = {}
    for name, url in pages.items():
        timings[name] = _time(client, url)
        log(f"{name}: {timings[name]}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM members_transaction WHERE program_id = %s", [program.pk])
        ledger_rows = cursor.fetchone()[0]
    results = {
        "members": members,
        "ledger_rows": ledger_rows,
        "seed_seconds": None if reuse else round(seed_seconds, 1),
        "rollups": rollups,
        "name_search_plan": plan,
        "name_search_uses_index": "members_member_first_name_prefix" in plan,
        "pages": timings,
        "postgres": connection.cursor().connection.info.server_version,
        "cpus": os.cpu_count(),
        "load_average": round(os.getloadavg()[1], 1),
    }
    if docs is not None:
        docs_section_write(docs, _section(results))
    return results


def _section(r: dict) -> str:
    rows = "\n".join(
        f"| {name} | {t['median_ms']:,.0f} ms | {t['max_ms']:,.0f} ms | {t['queries']} | "
        f"{'yes' if t['max_ms'] < 1000 * TARGET_SECONDS else '**no**'} |"
        for name, t in r["pages"].items()
    )
    rollups = "\n".join(
        f"| {name} | {t['seconds']:,.1f} s | {t['python_cpu_s']:.2f} s | {t['rows']:,} |"
        for name, t in r["rollups"].items()
    )
    plan = "\n".join("    " + line for line in r["name_search_plan"].splitlines())
    seeding = "by an earlier run" if r["seed_seconds"] is None else f"{r['seed_seconds']:.0f} s"
    return f"""{SECTION}

`python -m tests.bench.bench_admin` (`bench(members=N)`): {r["members"]:,} members and {r["ledger_rows"]:,} ledger
rows seeded server-side by `members.bench_seed` ({seeding}), the analytics rollups built, then each
page requested {RUNS} times by a merchant owner through Django's test client after one warm-up (server time:
middleware, admin, templates and SQL; no network). PostgreSQL {r["postgres"]}, {r["cpus"]} CPUs shared with other
work (load average {r["load_average"]}).

| Page | Median | Worst | Queries | Under {TARGET_SECONDS:.0f} s |
|---|---|---|---|---|
{rows}

The dashboard reads the `analytics` rollup tables (per program and day; member-month steps for distinct members
over a range of months; see docs/admin.md), so its time no longer grows with the members. Building them is the
`refresh_analytics` job's work:

| Rollups | Wall time | Python CPU | Rows written |
|---|---|---|---|
{rollups}

The full rebuild is a handful of `INSERT … SELECT … GROUP BY` statements (PostgreSQL does the work: Python's CPU
is the statements' round trips); the hourly incremental refresh recomputes only the days changed since the last
run (here: the last refresh's day and the one before, and this month's member steps).

The member list counts at most 10,000 rows (`CappedCountPaginator`) and searches by exact keys or name
prefixes. The name search is `UPPER(first_name::text) LIKE UPPER('zed%')` (Django's `istartswith`), which the
`members_member_first_name_prefix` / `_last_name_prefix` expression indexes (`text_pattern_ops`, migration
members 0006) serve: index used here: **{"yes" if r["name_search_uses_index"] else "no"}**. PostgreSQL's plan for a
rare prefix:

{plan}
"""


if __name__ == "__main__":
    bench_main(bench, __doc__)
