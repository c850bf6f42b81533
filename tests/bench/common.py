"""What every bench shares: rewriting its own section of docs/benchmarks.md, and the command line of the
benches that bring their own data set (`python -m tests.bench.bench_<name> [--members N] [--no-docs]`)."""

import argparse
import json
import os
import re
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "benchmarks.md"


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
        "same_outcome": same_outcome,
        "postgres": connection.cursor().connection.info.server_version,
        "cpus": os.cpu_count(),
        "load_average": round(os.getloadavg()[1], 1),
    }
