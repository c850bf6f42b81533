"""The process-local cache backend: Django's locmem cache without its memcached key check, with plain counters for
the throttles' fixed windows.

`BaseCache.validate_key` walks every character of every key in Python to warn about keys memcached would refuse
(~2 us for an API key's 72-character key), on every get, set and incr: several times on every API call (the key's
program, the rules and tiers, the webhook subscriptions, the throttle counter). Keys of a cache that lives in this
process only need to be strings; the settings pick this backend wherever they pick locmem.

A throttle counter kept as a cache entry is a key made, a lock, an unpickled value and a pickled one per call, twice
per widget call (shopper and IP buckets): under load that was 15–18% of a kept widget `me` answer's view time in
py-spy. A process-local cache counts per process anyway, so `window_count` counts in a plain dict instead
(loyalty/api/fixed_window.py uses it when the cache has it; a shared cache such as Redis counts with `incr`)."""

from threading import Lock

from django.core.cache.backends import locmem

# Per cache name, as Django's locmem keeps its entries (every thread gets its own backend object for an alias):
# {window seconds: (the current window's start, {bucket: calls})}.
_windows: dict[str, dict[int, tuple[int, dict[str, int]]]] = {}
_window_locks: dict[str, Lock] = {}


class LocMemCache(locmem.LocMemCache):
    def __init__(self, name, params):
        super().__init__(name, params)
        self._windows = _windows.setdefault(name, {})
        self._window_lock = _window_locks.setdefault(name, Lock())

    def validate_key(self, key):
        pass

    def window_count(self, bucket: str, start: int, window: int) -> int:
        """This call's number in `bucket`'s window of `window` seconds that starts at `start`. Only the current
        window of each length is kept: its first call drops the last one's counts. At the cache's MAX_ENTRIES
        buckets the counts start again, as a culled cache entry would."""
        with self._window_lock:
            current = self._windows.get(window)
            if current is None or current[0] != start:
                current = self._windows[window] = (start, {})
            counts = current[1]
            calls = counts.get(bucket, 0) + 1
            if calls == 1 and len(counts) >= self._max_entries:
                counts.clear()
            counts[bucket] = calls
            return calls

    def clear(self):
        super().clear()
        with self._window_lock:
            self._windows.clear()
