"""Merchant admin bench: the member list, a member page and the program's analytics dashboard, timed at N
members on PostgreSQL (server-side time through Django's test client: middleware, admin, templates, SQL).

`python -m tests.bench.bench_admin [--members 1000000] [--no-docs]`. With DATABASE_URL pointing at a migrated
PostgreSQL database it works there; without, it creates, migrates and drops a throwaway database (as
`tests/bench/bench_tiers.py` does, whose 1M-member seeder — members, orders, earn/refund/sign-up/redeem
ledger rows over two years, generated server-side — is reused here). `bench(members=N)` is what a harness
calls; it returns the numbers and writes the `## Merchant admin` section of BENCH_DOCS (docs/benchmarks.md).
"""

import os
import statistics
import time
from pathlib import Path

from tests.bench import bench_tiers
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

    user = get_user_model().objects.create_user(username=f"bench-owner-{program.pk}", password="-")
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


def bench(*, members: int = 1_000_000, docs: Path | None = None) -> dict:
    from django.db import connection
    from django.urls import reverse

    from members.models import Member

    assert connection.vendor == "postgresql", "the admin bench runs on PostgreSQL"
    program = bench_tiers._program(f"bench-admin-{os.getpid()}")
    started = time.perf_counter()
    with bench_tiers._bulk_load():
        bench_tiers._seed(program, members)
    bench_tiers._analyze()
    seed_seconds = time.perf_counter() - started
    log(f"seeded {members:,} members in {seed_seconds:.0f} s")
    client = _staff_client(program)
    member = Member.objects.filter(program=program).order_by("pk")[members // 2]
    pages = {
        "member list": reverse("admin:members_member_changelist"),
        "member search (email)": reverse("admin:members_member_changelist") + f"?q={member.email}",
        "member page": reverse("admin:members_member_change", args=[member.pk]),
        "dashboard (last 12 months)": reverse("admin:loyalty_program_dashboard", args=[program.pk]),
        "dashboard (2 years)": reverse("admin:loyalty_program_dashboard", args=[program.pk])
        + "?from=2024-11-01&to=2026-11-01",
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
        "seed_seconds": round(seed_seconds, 1),
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
    return f"""{SECTION}

`python -m tests.bench.bench_admin` (`bench(members=N)`): {r["members"]:,} members and {r["ledger_rows"]:,} ledger
rows seeded server-side by the tier bench's seeder ({r["seed_seconds"]:.0f} s), then each page requested
{RUNS} times by a merchant owner through Django's test client after one warm-up (server time: middleware,
admin, templates and SQL; no network). PostgreSQL {r["postgres"]}, {r["cpus"]} CPUs shared with other work
(load average {r["load_average"]}).

| Page | Median | Worst | Queries | Under {TARGET_SECONDS:.0f} s |
|---|---|---|---|---|
{rows}

The member list counts at most 10,000 rows (`CappedCountPaginator`) and searches by exact keys or name
prefixes; the dashboard is aggregate SQL (GROUP BY month / tier / member) over the program's rows.
"""


if __name__ == "__main__":
    bench_main(bench, __doc__)
