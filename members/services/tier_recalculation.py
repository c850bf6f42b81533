"""Set-based tier changes for many members: the `recalculate_tiers` job and the upgrade after pending
points activate. No Python loop over members: per program and chunk of member ids, one statement computes
each member's metric value, maps it to a tier with a SQL `CASE` and writes the changed members together
with their `TierChange` rows.

PostgreSQL does it in one statement (UPDATE … RETURNING feeding the history INSERT). Its UPDATE re-checks
every row it writes against the member's current tier and counters, so a member whose tier or activity
changed concurrently (an order committing meanwhile) is left alone: no stale downgrade, no history row
for a change that did not happen; the next run or the member's next earning settles them.
SQLite has no UPDATE … RETURNING of joined columns, so it inserts the history first and updates the members
from it; its writers are serialised (transactions are IMMEDIATE), so nothing can interleave.
"""

import logging
from datetime import UTC, datetime

from django.db import connection, transaction

from loyalty.models import Program
from members.choices import TierChangeReason
from members.models import Member
from members.tier_selectors import (
    TierWindow,
    tier_rank_case_sql,
    tier_target_case_sql,
    tier_values_sql,
    tier_window,
    tiers_by_rank,
)

logger = logging.getLogger(__name__)

CHUNK_SIZE = 50_000
UPGRADE_BATCH = 500


def tiers_recalculate(*, as_of: datetime, chunk_size: int = CHUNK_SIZE, program_ids: list[int] | None = None) -> int:
    """Re-tier every member (except manual tiers) of every program (or of `program_ids`) on their activity
    in the period ending at `as_of`: up or down, reason `recalculated`. Returns the number of members moved;
    a second run for the same `as_of` moves nobody."""
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    moved = chunks = 0
    programs = Program.objects.filter(tiers__isnull=False).distinct().order_by("pk")
    if program_ids is not None:
        programs = programs.filter(pk__in=program_ids)
    for program in programs:
        tiers = tiers_by_rank(program_id=program.pk)
        window = tier_window(program=program, at=as_of)
        after = 0
        while (last := _chunk_end(program_id=program.pk, after=after, size=chunk_size)) is not None:
            with transaction.atomic():
                moved += _apply(
                    program=program,
                    tiers=tiers,
                    window=window,
                    member_filter="BETWEEN %s AND %s",
                    member_params=[after + 1, last],
                    reason=TierChangeReason.RECALCULATED,
                    at=as_of,
                    upgrade_only=False,
                )
            chunks += 1
            after = last
    logger.info("tiers recalculated as_of=%s moved=%s chunks=%s", as_of.isoformat(), moved, chunks)
    return moved


def tiers_upgrade_members(*, member_ids: list[int], at: datetime) -> int:
    """Upgrade these members where their activity in the period of `at` now reaches a higher tier
    (reason `earned`); never downgrades. For the activation job: call it in the chunk's transaction,
    after the pending rows became active. Returns the number of members moved."""
    return _members_apply(member_ids=member_ids, at=at, reason=TierChangeReason.EARNED, upgrade_only=True)


def tiers_settle_members(*, member_ids: list[int], at: datetime, reason: str) -> int:
    """Put these members (manual tiers excluded) in the tier their activity in the period of `at` reaches,
    up or down, recording `reason`: for members just released from a tier held for another reason (a paid
    membership that lapsed). Returns the number of members moved."""
    return _members_apply(member_ids=member_ids, at=at, reason=reason, upgrade_only=False)


def _members_apply(*, member_ids: list[int], at: datetime, reason: str, upgrade_only: bool) -> int:
    by_program: dict[int, list[int]] = {}
    for program_id, member_id in Member.objects.filter(pk__in=member_ids).values_list("program_id", "pk"):
        by_program.setdefault(program_id, []).append(member_id)
    moved = 0
    for program in Program.objects.filter(pk__in=by_program).order_by("pk"):
        tiers = tiers_by_rank(program_id=program.pk)
        if not tiers:
            continue
        ids = sorted(by_program[program.pk])
        for start in range(0, len(ids), UPGRADE_BATCH):
            batch = ids[start : start + UPGRADE_BATCH]
            with transaction.atomic():
                moved += _apply(
                    program=program,
                    tiers=tiers,
                    window=tier_window(program=program, at=at),
                    member_filter=f"IN ({', '.join(['%s'] * len(batch))})",
                    member_params=batch,
                    reason=reason,
                    at=at,
                    upgrade_only=upgrade_only,
                )
    return moved


def _chunk_end(*, program_id: int, after: int, size: int) -> int | None:
    """The last member id of the next chunk of `size` members after `after` (index on program, id)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT MAX(id) FROM (SELECT id FROM members_member WHERE program_id = %s AND id > %s"
            " ORDER BY id LIMIT %s) chunk",
            [program_id, after, size],
        )
        return cursor.fetchone()[0]


def _changes_sql(
    *, program: Program, tiers, window: TierWindow, member_filter: str, member_params: list, upgrade_only: bool
) -> tuple[str, list]:
    """Members of the filter (manual tiers excluded) whose tier differs from the one their value reaches:
    `member_id, from_tier, to_tier` plus the counters the PostgreSQL write re-checks."""
    values_sql, values_params = tier_values_sql(
        program=program, window=window, member_filter=member_filter, member_params=member_params
    )
    target_sql, target_params = tier_target_case_sql(program=program, tiers=tiers, value_sql="COALESCE(v.value, 0)")
    sql = (
        f"SELECT m.id AS member_id, m.tier_id AS from_tier, {target_sql} AS to_tier,"
        " m.lifetime_points AS lifetime_points, m.lifetime_spend AS lifetime_spend, m.orders_count AS orders_count"
        f" FROM members_member m LEFT JOIN ({values_sql}) v ON v.member_id = m.id"
        f" WHERE m.program_id = %s AND m.id {member_filter} AND NOT m.tier_locked"
    )
    params = [*target_params, *values_params, program.pk, *member_params]
    sql = f"SELECT * FROM ({sql}) c WHERE COALESCE(c.to_tier, 0) <> COALESCE(c.from_tier, 0)"
    if upgrade_only:
        to_rank, to_params = tier_rank_case_sql(tiers=tiers, tier_sql="c.to_tier")
        from_rank, from_params = tier_rank_case_sql(tiers=tiers, tier_sql="c.from_tier")
        sql += f" AND {to_rank} > {from_rank}"
        params += [*to_params, *from_params]
    return sql, params


def _apply(*, program: Program, tiers, window, member_filter, member_params, reason, at, upgrade_only) -> int:
    changes_sql, params = _changes_sql(
        program=program,
        tiers=tiers,
        window=window,
        member_filter=member_filter,
        member_params=member_params,
        upgrade_only=upgrade_only,
    )
    at_param = connection.ops.adapt_datetimefield_value(at)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH changes AS ({changes_sql}),"
                " applied AS ("
                "  UPDATE members_member m SET tier_id = c.to_tier, tier_achieved_at = %s, updated_at = now()"
                "  FROM changes c WHERE m.id = c.member_id AND NOT m.tier_locked"
                "  AND COALESCE(m.tier_id, 0) = COALESCE(c.from_tier, 0) AND m.lifetime_points = c.lifetime_points"
                "  AND m.lifetime_spend = c.lifetime_spend AND m.orders_count = c.orders_count"
                "  RETURNING m.id AS member_id, c.from_tier, c.to_tier)"
                " INSERT INTO members_tierchange (member_id, from_tier_id, to_tier_id, reason, created_at)"
                " SELECT member_id, from_tier, to_tier, %s, %s FROM applied",
                [*params, at_param, str(reason), at_param],
            )
            return cursor.rowcount
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM members_tierchange")
        last_before = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO members_tierchange (member_id, from_tier_id, to_tier_id, reason, created_at)"
            f" SELECT member_id, from_tier, to_tier, %s, %s FROM ({changes_sql}) c",
            [str(reason), at_param, *params],
        )
        moved = cursor.rowcount
        if moved:
            cursor.execute(
                "UPDATE members_member SET tier_achieved_at = %s, updated_at = %s, tier_id = ("
                " SELECT tc.to_tier_id FROM members_tierchange tc WHERE tc.id > %s AND tc.member_id = members_member.id)"
                " WHERE id IN (SELECT member_id FROM members_tierchange WHERE id > %s)",
                [at_param, connection.ops.adapt_datetimefield_value(datetime.now(UTC)), last_before, last_before],
            )
        return moved
