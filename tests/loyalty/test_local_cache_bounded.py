"""`loyalty.local_cache` keeps its values no longer than the cache keeps their tokens: what locmem culls at
MAX_ENTRIES, expires or clears is freed in this process too, so a worker that has seen many programs and keys holds
no more of them than its cache's bound."""

import gc
import weakref

from django.core.cache import cache

from loyalty import local_cache
from loyalty.local_cache import local_get, local_set


class _Kept:
    """A value whose release can be observed."""


def _locmem(settings, max_entries: int) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"bounded-{max_entries}",
            "OPTIONS": {"MAX_ENTRIES": max_entries},
        }
    }


def test_values_the_cache_culled_are_not_kept_past_its_bound(settings):
    # given a cache of 10 entries
    _locmem(settings, 10)

    # when 1,000 distinct keys are kept (as many programs and keys)
    refs = []
    for number in range(1000):
        value = _Kept()
        refs.append(weakref.ref(value))
        local_set(f"bounded:{number}", value, 60)
        assert local_get(f"bounded:{number}") is value  # also when this set swept the others
    gc.collect()

    # then the process keeps about as many values as the cache has entries, and the newest is still read
    alive = sum(ref() is not None for ref in refs)
    assert alive <= 2 * 10 + 1
    assert sum(key.startswith("bounded:") for key in local_cache._values) == alive
    assert isinstance(local_get("bounded:999"), _Kept)


def test_expired_and_cleared_values_are_freed(settings):
    # given a cache of 10 entries and values that expired or were cleared
    _locmem(settings, 10)
    expired = _Kept()
    local_set("bounded:expired", expired, 0)
    ref = weakref.ref(expired)
    del expired
    cache.clear()

    # when more values are kept than the cache holds
    for number in range(100):
        local_set(f"bounded:{number}", _Kept(), 60)
    gc.collect()

    # then the expired value is gone from the process
    assert ref() is None
