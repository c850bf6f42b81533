"""The `compute_rfm` job: recency, frequency and monetary scores (1-5) of every member who bought, per program.

Set-based: per program, one SELECT into a temporary table ranks the program's buyers; chunks of member ids are
then written by one UPDATE … FROM that table each (short transactions). The SELECT aggregates the orders placed
at or before `as_of` per member (last order, number of orders, spend net of refunds; fully refunded orders are no purchase)
and ranks the members with NTILE(5) window functions: 5 is the most recent / most frequent / biggest-spending
fifth. NTILE splits equal values across tiles; members with the same value get the lowest tile any of them got
(MIN … OVER (PARTITION BY value)), so two one-order shoppers never score differently.
Members without a purchase keep NULL scores (a member whose purchases all lie after `as_of` is reset to NULL).

Only rows whose scores change are written (`rfm_computed_at` = the `as_of` that set them), so a second run for
the same `as_of` changes nothing and returns 0.
"""

import logging
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone

from loyalty.models import Program
from members.services.job_chunks import member_id_ranges

logger = logging.getLogger(__name__)

# The scores of a program's buyers, ranked once over the whole program (NTILE needs all of them).
_SCORES_SELECT = """
SELECT member_id,
       MIN(r) OVER (PARTITION BY last_at) AS r,
       MIN(f) OVER (PARTITION BY orders) AS f,
       MIN(m) OVER (PARTITION BY spent) AS m
FROM (
    SELECT member_id, last_at, orders, spent,
           NTILE(5) OVER (ORDER BY last_at, member_id) AS r,
           NTILE(5) OVER (ORDER BY orders, member_id) AS f,
           NTILE(5) OVER (ORDER BY spent, member_id) AS m
    FROM (
        SELECT member_id, MAX(placed_at) AS last_at, COUNT(*) AS orders, SUM(subtotal - refunded_amount) AS spent
        FROM members_order
        WHERE program_id = %(program)s AND placed_at <= %(as_of)s AND refunded_amount < subtotal
        GROUP BY member_id
    ) stats
) tiles
"""

# One chunk of members; no leading WITH (Python's sqlite3 reports no rowcount for it).
_UPDATE_SQL = """
UPDATE members_member AS mm
SET rfm_recency = scores.r, rfm_frequency = scores.f, rfm_monetary = scores.m, rfm_computed_at = %(as_of)s,
    updated_at = %(now)s
FROM rfm_scores AS scores
WHERE mm.id = scores.member_id AND mm.program_id = %(program)s AND mm.id BETWEEN %(first)s AND %(last)s
  AND scores.member_id BETWEEN %(first)s AND %(last)s
  AND (mm.rfm_recency {differs} scores.r OR mm.rfm_frequency {differs} scores.f OR mm.rfm_monetary {differs} scores.m)
"""

_RESET_SQL = """
UPDATE members_member
SET rfm_recency = NULL, rfm_frequency = NULL, rfm_monetary = NULL, rfm_computed_at = %(as_of)s, updated_at = %(now)s
WHERE program_id = %(program)s AND id BETWEEN %(first)s AND %(last)s AND rfm_recency IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM rfm_scores s WHERE s.member_id = members_member.id)
"""

CHUNK_SIZE = 50_000


def compute_rfm(as_of: datetime, *, program_ids: list[int] | None = None, chunk_size: int = CHUNK_SIZE) -> int:
    """Score every member of every program (or of `program_ids`) on their orders up to `as_of`.
    Returns the number of members whose scores changed."""
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    # SQLite before 3.39 has no IS DISTINCT FROM; its IS NOT means the same (NULL-safe inequality).
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    programs = Program.objects.order_by("pk").values_list("pk", flat=True)
    if program_ids is not None:
        programs = programs.filter(pk__in=program_ids)
    changed = 0
    for program_id in programs:
        # `updated_at` moves with the scores: the widget's cached `me` (segment-limited rewards) is versioned by it.
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        params = {"program": program_id, "as_of": connection.ops.adapt_datetimefield_value(as_of), "now": now}
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS rfm_scores")
            cursor.execute(f"CREATE TEMPORARY TABLE rfm_scores AS {_SCORES_SELECT}", params)
            cursor.execute("CREATE INDEX rfm_scores_member ON rfm_scores (member_id)")
            cursor.execute("ANALYZE rfm_scores")
        try:
            # Short transactions: an order of a member waits for one chunk's write, never for the whole program.
            for first, last in member_id_ranges(program_id=program_id, size=chunk_size):
                chunk = {**params, "first": first, "last": last}
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(_UPDATE_SQL.format(differs=differs), chunk)
                    changed += cursor.rowcount
                    cursor.execute(_RESET_SQL, chunk)
                    changed += cursor.rowcount
        finally:
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE IF EXISTS rfm_scores")
    logger.info("rfm computed as_of=%s changed=%s", as_of.isoformat(), changed)
    return changed
