"""The throttles' fixed-window counter (loyalty/api/fixed_window.py): in the process-local cache's plain counters
(loyalty/locmem.py `window_count`) and, as in a shared cache such as Redis, with `incr` and `add`."""

import threading

import pytest
from django.core.cache import cache, caches

from loyalty.api import fixed_window
from loyalty.locmem import LocMemCache


class SharedCache:
    """The tests' cache used as a shared one is: `incr` and `add` only."""

    def incr(self, key):
        return cache.incr(key)

    def add(self, key, value, timeout):
        return cache.add(key, value, timeout)


@pytest.fixture(params=["process-local", "shared"])
def counting_cache(request):
    return caches["default"] if request.param == "process-local" else SharedCache()


def allowed(counting_cache, n, bucket="b", rate="3/min"):
    return [fixed_window.window_call(counting_cache, bucket, rate)[0] for _ in range(n)]


def test_a_window_allows_its_rate_and_says_how_long_until_it_ends(counting_cache, monkeypatch):
    # given: 45 s into a minute
    monkeypatch.setattr(fixed_window, "clock", lambda: 1_800_000_045.0)

    # when
    answers = [fixed_window.window_call(counting_cache, "b", "3/min") for _ in range(4)]

    # then
    assert [allowed for allowed, _ in answers] == [True, True, True, False]
    assert {wait for _, wait in answers} == {15.0}


def test_the_next_window_counts_from_nought(counting_cache, monkeypatch):
    # given: a full bucket in the last second of a minute
    monkeypatch.setattr(fixed_window, "clock", lambda: 1_800_000_059.5)
    allowed(counting_cache, 3)

    # when: the next minute starts
    monkeypatch.setattr(fixed_window, "clock", lambda: 1_800_000_060.0)

    # then
    assert allowed(counting_cache, 4) == [True, True, True, False]


def test_buckets_and_window_lengths_are_counted_apart(counting_cache):
    # when
    first = allowed(counting_cache, 4, bucket="a")
    other = allowed(counting_cache, 1, bucket="c")
    hourly = allowed(counting_cache, 1, bucket="a", rate="3/hour")

    # then
    assert first == [True, True, True, False]
    assert other == hourly == [True]


def test_a_cleared_cache_starts_the_counts_again(counting_cache):
    # given
    allowed(counting_cache, 3)

    # when: the cache lost its entries (cleared, evicted, or expired at the window's end)
    cache.clear()

    # then
    assert allowed(counting_cache, 1) == [True]


def test_the_process_local_counts_are_shared_by_the_threads():
    # given: each thread has its own backend object for the alias, as Django gives them
    def calls_in_a_thread():
        allowed(caches["default"], 2)

    threads = [threading.Thread(target=calls_in_a_thread) for _ in range(2)]

    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then: the 4 calls were counted in one bucket of 3
    assert allowed(caches["default"], 1) == [False]


def test_the_process_local_counts_are_bounded_by_max_entries():
    # given: a cache of 2 entries counting 2 buckets
    bounded = LocMemCache("bounded-windows", {"OPTIONS": {"MAX_ENTRIES": 2}})
    for bucket in ("a", "b"):
        allowed(bounded, 3, bucket=bucket)

    # when: a third bucket comes
    allowed(bounded, 1, bucket="c")

    # then: the counts started again, as culled cache entries would
    assert allowed(bounded, 1, bucket="a") == [True]
    bounded.clear()
