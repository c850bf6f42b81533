"""`make bench` rewrites only its own section of docs/benchmarks.md."""

import json

from tests.bench.bench_batch import median_run
from tests.bench.bench_batch import section as batch_section
from tests.bench.common import cpu_cell, job_summary_row, section_replace, summary_row, summary_write
from tests.bench.run import SCENARIOS, Measurement, admin_summary_row, other_endpoints, statements_summary

DOCUMENT = """# Benchmarks

Intro.

## Order ingestion

old numbers

## Tier recalculation

tier numbers
"""


def test_the_order_section_is_replaced_and_the_others_kept():
    # given a page with the order section between the intro and the tiers section
    # when a new order section is written
    updated = section_replace(DOCUMENT, "## Order ingestion\n\nnew numbers\n")
    # then only that section changed
    assert updated == DOCUMENT.replace("old numbers", "new numbers")


def test_a_missing_order_section_is_appended():
    # given a page without the order section
    # when the section is written
    updated = section_replace("# Benchmarks\n\nIntro.\n", "## Order ingestion\n\nnumbers\n")
    # then it is added at the end
    assert updated == "# Benchmarks\n\nIntro.\n\n## Order ingestion\n\nnumbers\n"


def test_the_last_section_is_replaced_to_the_end():
    # given the order section last on the page
    document = "# Benchmarks\n\n## Order ingestion\n\nold\nlines\n"
    # when it is rewritten
    updated = section_replace(document, "## Order ingestion\n\nnew\n")
    # then nothing of the old one is left
    assert updated == "# Benchmarks\n\n## Order ingestion\n\nnew\n"


def test_statements_are_named_by_verb_and_table():
    # given the SQL Django sent for one call
    statements = [
        'SELECT "a"."id" FROM "loyalty_apikey" INNER JOIN "loyalty_program" ON (1=1) WHERE "a"."key_hash" = %s',
        "BEGIN",
        'SELECT "m"."id" FROM "members_member" WHERE "m"."id" = 1 FOR UPDATE OF "members_member"',
        'INSERT INTO "members_order" ("program_id") VALUES (1) RETURNING "members_order"."id"',
        'UPDATE "members_member" SET "points_balance" = 5 WHERE "members_member"."id" = 1',
        'SAVEPOINT "s1_x1"',
        "COMMIT",
    ]
    # when they are summarised
    summary = statements_summary([{"sql": sql} for sql in statements])
    # then each is its verb and table
    assert summary == (
        "`SELECT loyalty_apikey`, `BEGIN`, `SELECT members_member FOR UPDATE`, `INSERT members_order`, "
        "`UPDATE members_member`, `SAVEPOINT`, `COMMIT`"
    )


def _row(key: str, *, met: bool | None, ratio: str = "50%") -> dict:
    return summary_row(
        key=key,
        what=key.split(" ", 1)[1],
        result="10 req/s",
        baseline="one-row INSERT 20 req/s",
        ratio=ratio,
        target="≥ 50%" if met is not None else None,
        met=met,
        command="make bench",
        load_average=1.5,
    )


def test_the_summary_goes_above_the_first_section(tmp_path):
    # given the page with its intro and sections
    docs = tmp_path / "benchmarks.md"
    docs.write_text(DOCUMENT)
    # when the endpoints' summary lines are written
    summary_write(docs, [_row("http POST /api/v1/orders", met=True)])
    # then the summary sits between the intro and the first section, the sections unchanged
    text = docs.read_text()
    assert text.index("Intro.") < text.index("## Summary") < text.index("## Order ingestion")
    assert "| POST /api/v1/orders | 10 req/s | one-row INSERT 20 req/s | 50% | ≥ 50% | met |" in text
    assert text.endswith("## Tier recalculation\n\ntier numbers\n")


def test_a_bench_run_alone_replaces_its_own_summary_lines_and_keeps_the_others(tmp_path):
    # given a summary with an endpoint line and a job line
    docs = tmp_path / "benchmarks.md"
    docs.write_text(DOCUMENT)
    summary_write(docs, [_row("http POST /api/v1/orders", met=True), _row("job expire_points", met=True)])
    # when the expiry bench alone writes its line again, now missing its target
    summary_write(docs, [_row("job expire_points", met=False, ratio="4.1×")])
    # then the page has one summary, with the endpoint line kept and the job line replaced
    text = docs.read_text()
    assert text.count("## Summary") == 1
    assert "| POST /api/v1/orders |" in text
    assert "| expire_points | 10 req/s | one-row INSERT 20 req/s | 4.1× | ≥ 50% | **missed** |" in text
    assert "Missed: expire_points" in text
    assert json.loads((tmp_path / "benchmarks-summary.json").read_text())[1]["ratio"] == "4.1×"


def test_a_measure_without_target_is_reported_without_verdict(tmp_path):
    # given a line with no target (the points preview has none in the issue)
    docs = tmp_path / "benchmarks.md"
    # when it is written to a page that does not exist yet
    summary_write(docs, [_row("http GET /api/widget/v1/points-preview", met=None)])
    # then its target and verdict are dashes and the page says every target is met
    text = docs.read_text()
    assert "| GET /api/widget/v1/points-preview | 10 req/s | one-row INSERT 20 req/s | 50% | – | – |" in text
    assert "Every target is met." in text


def test_the_admin_summary_line_is_the_slowest_page_against_one_second():
    # given the admin bench's answer with one page over a second
    result = {
        "members": 1_000_000,
        "load_average": 3.0,
        "pages": {
            "member list": {"median_ms": 220.0, "max_ms": 291.0},
            "dashboard": {"median_ms": 900.0, "max_ms": 1_200.0},
        },
    }
    # when it becomes a summary line
    row = admin_summary_row(result)
    # then the line names the slowest page and says the target is missed
    assert row["what"] == "merchant admin pages at 1,000,000 members (slowest: dashboard)"
    assert (row["result"], row["target"], row["met"]) == ("worst 1,200 ms, median 900 ms", "< 1 s", False)


def test_a_job_line_is_met_only_within_the_ratio_and_with_the_same_outcome():
    # given a job 1.2x its hand-written SQL by wall time, 1.1x by CPU
    results = {
        "members": 1_000_000,
        "job": {"seconds": 12.0, "python_cpu_s": 1.0, "db_cpu_s": 10.0},
        "sql": {"seconds": 10.0, "python_cpu_s": 0.0, "db_cpu_s": 10.0},
        "ratio": 1.2,
        "cpu_ratio": 1.1,
        "same_outcome": True,
        "load_average": 2.0,
    }
    # when it becomes a summary line
    row = job_summary_row("job expire_points", "`expire_points`", results, 3.0, "python -m tests.bench.bench_expiry")
    # then it shows both ratios and is met; a different outcome would not be
    assert (row["ratio"], row["target"], row["met"]) == ("1.2× (CPU 1.1×)", "≤ 3×", True)
    assert job_summary_row("k j", "j", {**results, "same_outcome": False}, 3.0, "c")["met"] is False
    assert cpu_cell(results["job"]) == "1.0 + 10.0 s"


def test_the_other_endpoints_are_described_by_ratio_cpu_and_statements():
    # given a run's measurements and the statements of one call of each endpoint
    measured = {
        scenario.name: Measurement(scenario.name, 1_000, 10.0, 0, 0, 5.0, 9.0, cpu_ms=2.0, db_cpu_ms=0.5)
        for scenario in SCENARIOS
    }
    measured["GET /api/widget/v1/points-preview"] = Measurement("p", 250, 10.0, 0, 0, 5.0, 9.0, 8.0, 1.0)
    queries = {"points_preview": {"queries": 4}, "widget_me_again": {"queries": 2}}
    # when they are described
    text = other_endpoints(measured, queries)
    # then each endpoint has its line, with what is missing shown as "?"
    assert (
        "- `GET /api/widget/v1/points-preview`: 25% of the bare JSON endpoint by req/s; 8.0 ms of server CPU per "
        "request (4.0× the baseline's), 1.0 ms of it in PostgreSQL; 4 SQL statements per call" in text
    )
    assert "? SQL statements per call (signature, receipt row, task queued)" in text
    assert "0.5 ms of it in PostgreSQL; 2 SQL statements per call (when the answer is kept" in text  # browsing `me`


def test_the_batch_bench_keeps_the_run_of_the_median_ratio_and_shows_every_run():
    # given three runs back to back
    runs = [
        {"ratio": ratio, "single_orders_per_s": 500.0, "batch_orders_per_s": 500.0 * ratio} for ratio in (5.5, 4.4, 6.1)
    ]
    common = {"orders": 2000, "batch_size": 250, "concurrency": 4, "new_share": 0.2, "load_average": 1.0, "cpus": 2}

    # when
    kept = median_run([{**run, **common} for run in runs])

    # then
    assert kept["ratio"] == 5.5 and kept["batch_orders_per_s"] == 2750.0
    assert kept["ratios"] == [5.5, 4.4, 6.1]
    assert "median of\n3 runs back to back: 5.5×, 4.4×, 6.1×" in batch_section(kept, workers=4)
