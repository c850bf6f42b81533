"""The process-local cache backend (loyalty/locmem.py)."""

import warnings

from django.core.cache import caches

from loyalty.locmem import LocMemCache


def test_the_default_cache_is_the_project_locmem():
    # given the test settings (the base settings' cache) / when the cache is used / then it is the project's backend
    assert isinstance(caches["default"], LocMemCache)


def test_keys_are_not_checked_for_memcached_on_every_call():
    # given a key memcached would refuse (a space, over 250 characters)
    cache = LocMemCache("test-locmem", {})
    key = "program key " + "x" * 300
    # when it is written, read and counted
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Django's own locmem warns CacheKeyWarning here
        cache.set(key, 1, 60)
        value = cache.get(key)
        cache.incr(key)
    # then it works as any key, without a warning
    assert value == 1 and cache.get(key) == 2
