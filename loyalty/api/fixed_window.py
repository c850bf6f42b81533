"""Fixed-window call counters, shared by the server API's and the widget's throttles.

One cache `incr` per call (and an `add` for a window's first call), whatever the rate; a process-local cache
counts in a plain dict instead (`window_count`, loyalty/locmem.py). DRF's `SimpleRateThrottle` keeps every
timestamp of the window in one cache entry and reads and writes it whole on every call: at a few hundred calls a
second (a busy program, a shop behind one NAT) that list is thousands of entries long and costs more than the call
it guards. A fixed window may let a burst of up to twice the rate through across a window boundary,
which is what the limits are for (protecting the service, stopping digest guessing), not exact accounting."""

import functools
import time

from rest_framework.throttling import SimpleRateThrottle

# The counters' clock. Tests that count calls up to a limit pin it inside one window (tests/conftest.py): with the
# real clock, a minute boundary between two calls starts a new count and the test fails by chance.
clock = time.time


def window_call(cache, bucket: str, rate: str) -> tuple[bool, float]:
    """Counts this call in `bucket`'s current window of `rate` (`120/min`): (allowed, seconds until the window
    ends, for Retry-After)."""
    allowed, window = parsed_rate(rate)
    now = clock()
    start = int(now // window) * window
    counter = getattr(cache, "window_count", None)  # a process-local cache's plain counters (loyalty/locmem.py)
    calls = counter(bucket, start, window) if counter else _window_count(cache, f"{bucket}:{window}:{start}", window)
    return calls <= allowed, start + window - now


@functools.lru_cache(maxsize=64)
def parsed_rate(rate: str) -> tuple[int, int]:
    """(calls, seconds) of a rate such as `120/min`, as DRF parses it (a few rates per process)."""
    return SimpleRateThrottle.parse_rate(None, rate)


def _window_count(cache, key: str, window: int) -> int:
    """This call's number in its window. Every call but the window's first finds the entry, so `incr` comes first:
    one cache operation a call (an `add` first would be two, and pickle a value it throws away)."""
    try:
        return cache.incr(key)
    except ValueError:  # the window's first call: no entry yet (or it was evicted)
        pass
    if cache.add(key, 1, window + 1):
        return 1
    try:
        return cache.incr(key)  # another call added it in between
    except ValueError:  # ...and it expired already: a new window
        cache.add(key, 1, window + 1)
        return 1
