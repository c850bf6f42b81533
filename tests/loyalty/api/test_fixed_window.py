"""The throttles' fixed-window counter (loyalty/api/fixed_window.py), on the locmem cache the tests run with."""

from django.core.cache import cache

from loyalty.api import fixed_window


def calls(n, bucket="b", rate="3/min"):
    return [fixed_window.window_call(cache, bucket, rate) for _ in range(n)]


def test_a_window_allows_its_rate_and_says_how_long_until_it_ends(monkeypatch):
    # given: 45 s into a minute
    monkeypatch.setattr(fixed_window, "clock", lambda: 1_800_000_045.0)

    # when
    answers = calls(4)

    # then
    assert [allowed for allowed, _ in answers] == [True, True, True, False]
    assert {wait for _, wait in answers} == {15.0}


def test_the_next_window_counts_from_nought(monkeypatch):
    # given: a full bucket in the last second of a minute
    monkeypatch.setattr(fixed_window, "clock", lambda: 1_800_000_059.5)
    calls(3)

    # when: the next minute starts
    monkeypatch.setattr(fixed_window, "clock", lambda: 1_800_000_060.0)
    answers = calls(4)

    # then
    assert [allowed for allowed, _ in answers] == [True, True, True, False]


def test_buckets_are_counted_apart():
    # when
    first, other = calls(4, bucket="a"), calls(1, bucket="c")

    # then
    assert [allowed for allowed, _ in first] == [True, True, True, False]
    assert other[0][0] is True


def test_an_evicted_entry_starts_its_count_again():
    # given
    calls(3)

    # when: the cache lost the entry (evicted, or expired at the window's end)
    cache.clear()

    # then
    assert calls(1)[0][0] is True
