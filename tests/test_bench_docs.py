"""`make bench` rewrites only its own section of docs/benchmarks.md."""

from tests.bench.common import section_replace
from tests.bench.run import statements_summary

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
