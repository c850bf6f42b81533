"""Walking a program's members in primary-key chunks, for the set-based jobs."""

from collections.abc import Iterator

from django.db import connection


def member_id_ranges(*, program_id: int, size: int) -> Iterator[tuple[int, int]]:
    """Consecutive [first, last] member-id ranges of at most `size` members of the program, in PK order.
    One index-only query per range (index on program, id), so the walk is linear in the members."""
    after = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT MIN(id), MAX(id) FROM (SELECT id FROM members_member WHERE program_id = %s AND id > %s"
                " ORDER BY id LIMIT %s) chunk",
                [program_id, after, size],
            )
            first, last = cursor.fetchone()
        if last is None:
            return
        yield first, last
        after = last
