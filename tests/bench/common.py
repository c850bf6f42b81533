"""What every bench shares: rewriting its own section of docs/benchmarks.md, the summary table at the top of
that page (every ratio with its target, kept in docs/benchmarks-summary.json so that a bench run alone updates
its own lines), and the command line of the benches that bring their own data set
(`python -m tests.bench.bench_<name> [--members N] [--no-docs]`)."""

import argparse
import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "benchmarks.md"
SUMMARY = "## Summary"


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
