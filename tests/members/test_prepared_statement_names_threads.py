"""Review of 54f570d: fetch_one's statement names are drawn from one iterator of the process
(loyalty/db/postgresql/statements.py `_names`), by every thread whose connection prepares a statement (concurrency
tests, a threaded server or worker pool: each new connection prepares its statements at once)."""

import sys
import threading

import pytest

from loyalty.db.postgresql import statements


@pytest.mark.xfail(
    strict=True,
    reason="review of 54f570d: `_names` is a generator; next() from a second thread while the first is inside it "
    "raises ValueError('generator already executing') (fix: map(b'_lp%d'.__mod__, itertools.count()), all in C)",
)
def test_statement_names_are_drawn_from_several_threads_at_once_without_error():
    # given threads switched as often as the interpreter allows (as under load, only more often)
    errors, names, interval = [], [], sys.getswitchinterval()

    def draw():
        mine = []
        try:
            for _ in range(20_000):
                mine.append(next(statements._names))
        except ValueError as exc:  # "generator already executing": a generator is not safe across threads
            errors.append(exc)
        names.extend(mine)

    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=draw) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    # then every thread got its names, each name once
    assert errors == []
    assert len(names) == len(set(names)) == 80_000
