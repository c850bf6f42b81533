"""The process-local cache backend: Django's locmem cache without its memcached key check.

`BaseCache.validate_key` walks every character of every key in Python to warn about keys memcached would refuse
(~2 us for an API key's 72-character key), on every get, set and incr: several times on every API call (the key's
program, the rules and tiers, the webhook subscriptions, the throttle counter). Keys of a cache that lives in this
process only need to be strings; the settings pick this backend wherever they pick locmem."""

from django.core.cache.backends import locmem


class LocMemCache(locmem.LocMemCache):
    def validate_key(self, key):
        pass
