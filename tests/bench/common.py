"""What every bench shares: rewriting its own section of docs/benchmarks.md, the summary table at the top of
that page (every ratio with its target, kept in docs/benchmarks-summary.json so that a bench run alone updates
its own lines), and the command line of the benches that bring their own data set
(`python -m tests.bench.bench_<name> [--members N] [--no-docs]`)."""

import argparse
import json
import os
import re
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "benchmarks.md"
SUMMARY = "## Summary"


def bench_log(name: str) -> Callable[[str], None]:
    """A bench's progress lines on stderr, stamped with its name and the time."""

    def log(message: str) -> None:
        print(f"[{name} {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)

    return log


def best_of(runs: int, work: Callable[[], object]) -> tuple[float, object]:
    """The shortest wall time of `runs` calls of `work`, and the last call's result."""
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def section_replace(document: str, text: str) -> str:
    """`document` with the section `text` starts with (its `## ` heading line) replaced by `text`, or
    `text` appended if the document has no such section; every other section is kept as it is."""
    heading = text.splitlines()[0]
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(document):
        updated = pattern.sub(lambda _m: text.rstrip("\n") + "\n\n", document, count=1)
    else:
        updated = document.rstrip("\n") + "\n\n" + text
    return updated.rstrip("\n") + "\n"


def summary_row(
    *,
    key: str,
    what: str,
    result: str,
    baseline: str,
    ratio: str,
    target: str | None,
    met: bool | None,
    command: str,
    load_average: float | None = None,
) -> dict:
    """One line of the summary: what was measured, beside what baseline in the same run, the ratio, the target
    (None: reported without one) and whether it was met, when and under what load."""
    load = os.getloadavg()[0] if load_average is None else load_average
    return {
        "key": key,
        "what": what,
        "result": result,
        "baseline": baseline,
        "ratio": ratio,
        "target": target,
        "met": met,
        "command": command,
        "measured": f"{datetime.now(UTC):%Y-%m-%d}",
        "load": f"{load:.1f} / {os.cpu_count()} cores",
    }


def summary_table(rows: list[dict]) -> str:
    lines = [
        "| measure | result | baseline (same run) | ratio | target | verdict | measured (load average) | by |",
        "| --- | --- | --- | ---: | ---: | --- | --- | --- |",
    ]
    for row in rows:
        verdict = "–" if row["met"] is None else ("met" if row["met"] else "**missed**")
        lines.append(
            f"| {row['what']} | {row['result']} | {row['baseline']} | {row['ratio']} | {row['target'] or '–'} "
            f"| {verdict} | {row['measured']} ({row['load']}) | `{row['command']}` |"
        )
    return "\n".join(lines)


def summary_section(rows: list[dict]) -> str:
    missed = [row["what"] for row in rows if row["met"] is False]
    verdict = (
        f"Missed: {', '.join(missed)} (each section below shows why and what was tried)."
        if missed
        else "Every target is met."
    )
    return f"""{SUMMARY}

The latest figure of every measure, each beside its baseline measured in the same run on the same machine
(the ratio is what compares across runs: absolute numbers move with the load other work put on the machine,
given beside each). {verdict}

{summary_table(rows)}
"""


def summary_write(path: Path, rows: list[dict]) -> None:
    """Record `rows` (replacing earlier lines with the same key) and rewrite the summary at the top of the page."""
    store = path.with_name(path.stem + "-summary.json")
    kept = json.loads(store.read_text()) if store.exists() else []
    new_keys = {row["key"] for row in rows}
    merged = [row for row in kept if row["key"] not in new_keys] + rows
    merged.sort(key=lambda row: SUMMARY_ORDER.get(row["key"].split()[0], 99))
    store.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n")
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    path.write_text(section_first(current, summary_section(merged)))


SUMMARY_ORDER = {"http": 0, "batch": 1, "job": 2, "admin": 3}


def section_first(document: str, text: str) -> str:
    """`document` with the section `text` replaced, or inserted before the first section if it has none."""
    heading = text.splitlines()[0]
    if re.search(rf"^{re.escape(heading)}$", document, re.M) or not re.search(r"^## ", document, re.M):
        return section_replace(document, text)
    first = re.search(r"^## ", document, re.M).start()
    return document[:first] + text.rstrip("\n") + "\n\n" + document[first:]


def docs_section_write(path: Path, text: str) -> None:
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    path.write_text(section_replace(current, text))
    print(f"{path} updated", flush=True)


def bench_main(bench: Callable[..., dict], description: str) -> None:
    """Run `bench(members=N, docs=path|None)` on DATABASE_URL when it is PostgreSQL (as `make bench` passes
    it), else on a throwaway PostgreSQL database created, migrated and dropped around the run."""
    from tests.bench.bench_tiers import _django, _throwaway_database

    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--no-docs", action="store_true", help="print the numbers, leave docs/benchmarks.md alone")
    args = parser.parse_args()
    docs = None if args.no_docs else Path(os.environ.get("BENCH_DOCS", DOCS))
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith("postgres"):
        _django(database_url)
        results = bench(members=args.members, docs=docs)
    else:
        with _throwaway_database() as url:
            _django(url)
            from django.core.management import call_command

            call_command("migrate", verbosity=0, interactive=False)
            results = bench(members=args.members, docs=docs)
    print(json.dumps(results, default=str))


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process of this machine, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def cpu_meter() -> Iterator[dict]:
    """Wall time of the block, and the CPU it cost: this Python process and its PostgreSQL backend (local,
    read from /proc). On a shared machine the CPU figures move much less with other work than wall time does,
    so a job and its hand-written SQL measured minutes apart still compare; the load average is kept too."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    used: dict = {}
    wall, python, database = time.perf_counter(), time.process_time(), _cpu_seconds(backend)
    yield used
    used.update(
        seconds=round(time.perf_counter() - wall, 2),
        python_cpu_s=round(time.process_time() - python, 2),
        db_cpu_s=round(_cpu_seconds(backend) - database, 2),
        load_average=round(os.getloadavg()[0], 1),
    )


def seeded_programs(members: int, *, name: str, as_of: datetime, log: Callable[[str], None]) -> tuple:
    """(small, big, seconds spent seeding): the programs a batch-job bench measures, N/10 and N members of
    `manage.py seed_bench` data. With BENCH_PROGRAM=SLUG, the programs SLUG-small and SLUG seeded beforehand in
    the same database (one seeding for every 1M-member bench of `make bench`); else two new ones."""
    from loyalty.models import Program
    from members.bench_seed import SEED_TABLES, analyze, bench_program, bulk_load, seed_members

    slug = os.environ.get("BENCH_PROGRAM")
    if slug:
        return Program.objects.get(slug=f"{slug}-small"), Program.objects.get(slug=slug), None
    started = time.perf_counter()
    small = bench_program(slug=f"bench-{name}-small-{os.getpid()}", as_of=as_of)
    big = bench_program(slug=f"bench-{name}-{os.getpid()}", as_of=as_of)
    with bulk_load(SEED_TABLES, log):
        seed_members(small, members=max(members // 10, 1), as_of=as_of, log=log)
        seed_members(big, members=members, as_of=as_of, log=log)
    analyze()
    seconds = time.perf_counter() - started
    log(f"seeded {members:,} + {max(members // 10, 1):,} members in {seconds:.0f} s")
    return small, big, round(seconds, 1)


def job_vs_sql_results(*, job: dict, job_small: dict, again: dict, sql: dict, same_outcome: bool, **data) -> dict:
    """The result record of a batch-job bench: the job's runs beside the hand-written statement, their ratio,
    and the machine they ran on (load average: absolute times scale with it)."""
    from django.db import connection

    return {
        **data,
        "job": job,
        "job_small": job_small,
        "job_second_run": again,
        "sql": sql,
        "ratio": round(job["seconds"] / sql["seconds"], 2) if sql["seconds"] else None,
        "cpu_ratio": _cpu_ratio(job, sql),
        "same_outcome": same_outcome,
        "postgres": connection.cursor().connection.info.server_version,
        "cpus": os.cpu_count(),
        "load_average": round(os.getloadavg()[1], 1),
    }


def _cpu_ratio(job: dict, sql: dict) -> float | None:
    """The job's CPU (Python and PostgreSQL) over the statement's (PostgreSQL), when both were metered."""
    if "db_cpu_s" not in job or not sql.get("db_cpu_s"):
        return None
    return round((job["db_cpu_s"] + job["python_cpu_s"]) / (sql["db_cpu_s"] + sql["python_cpu_s"]), 2)


def cpu_cell(run: dict) -> str:
    """`12.3 + 45.6 s` (Python + PostgreSQL CPU of a metered run), `–` for an older record without it."""
    return f"{run['python_cpu_s']:.1f} + {run['db_cpu_s']:.1f} s" if "db_cpu_s" in run else "–"


def seeding_note(r: dict) -> str:
    if r.get("seed_seconds") is None:
        return "Data seeded beforehand by `manage.py seed_bench` (shared by the 1M-member benches of the run)."
    return f"Seeding (`members.bench_seed`, as `manage.py seed_bench`) took {r['seed_seconds']:.0f} s."


def job_summary_row(key: str, what: str, r: dict, target: float, command: str) -> dict:
    """The summary line of a batch-job bench: the job beside its hand-written SQL at N members."""
    job, sql = r["job"], r["sql"]
    cpu = f" (CPU {r['cpu_ratio']}×)" if r.get("cpu_ratio") else ""
    return summary_row(
        key=key,
        what=f"{what} at {r['members']:,} members",
        result=f"{job['seconds']:,.1f} s",
        baseline=f"hand-written SQL {sql['seconds']:,.1f} s",
        ratio=f"{r['ratio']}×{cpu}",
        target=f"≤ {target:g}×",
        met=r["ratio"] is not None and r["ratio"] <= target and r["same_outcome"],
        command=command,
        load_average=r["load_average"],
    )


class StatementCount:
    """A connection.execute_wrapper that counts the statements a job issues without keeping their text (a list of
    SQL strings would grow inside the traced process and show in the job's memory peak)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def job_measure(run: Callable[[], object], *, result: str, statements: str = "statements") -> dict:
    """Run a batch job once under the meters every job bench reports: wall and CPU time (`cpu_meter`), statements
    issued, Python's peak traced memory and the process's RSS growth; its return value under `result`."""
    from django.db import connection

    count = StatementCount()
    tracemalloc.start()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with cpu_meter() as used, connection.execute_wrapper(count):
        outcome = run()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        **used,
        result: outcome,
        statements: count.n,
        "python_peak_kib": round(peak / 1024),
        "rss_growth_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before,
    }


def vacuum_analyze(*tables: str) -> None:
    """Fresh statistics and visibility maps before a job is timed (seeding leaves neither)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")
