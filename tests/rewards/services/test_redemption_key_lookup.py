"""A redemption's Idempotency-Key is looked up first by one prepared statement (rewards/services/redemptions.py).
A prepared statement runs on a generic plan after a few calls, which knows no parameter value: it can use the
unique index (partial: keys other than '') only because the statement repeats the index's condition."""

from django.db import connection

from rewards.services.redemptions import _KEY_USED_SQL, _redemption_key_used, reward_redeem
from tests.conftest import postgres_only
from tests.factories import RewardFactory
from tests.factories.rewards import member_with_points


def test_the_lookup_finds_a_used_key_of_this_program_only(program, db):
    member = member_with_points(program, 500, customer_id="c-1")
    reward_redeem(member=member, reward=RewardFactory(program=program, points_cost=100), idempotency_key="k-1")
    assert _redemption_key_used(program_id=program.pk, key="k-1")
    assert not _redemption_key_used(program_id=program.pk, key="k-2")
    assert not _redemption_key_used(program_id=program.pk + 1, key="k-1")


@postgres_only
def test_the_generic_plan_uses_the_unique_index(db):
    sql = _KEY_USED_SQL.replace("%s", "$1", 1).replace("%s", "$2", 1)
    with connection.cursor() as cursor:
        # Whether the index can serve the generic plan at all, not whether the planner prefers it on a test table
        # of a few rows (there a sequential scan is cheaper): sequential scans priced out of the choice.
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute(f"PREPARE key_used(bigint, text) AS {sql}")
            cursor.execute("EXPLAIN EXECUTE key_used(1, 'k')")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("DEALLOCATE key_used")
        finally:
            cursor.execute("RESET plan_cache_mode")
            cursor.execute("RESET enable_seqscan")
    assert "rewards_redemption_unique_idempotency_key" in plan and "Seq Scan" not in plan
