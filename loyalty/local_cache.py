"""The cache for values read on every call (a key's program, a program's rules and tiers), without unpickling them.

Django's locmem cache pickles every value it stores and unpickles it on every read: for a program with its rules
and tiers that cost more than the rest of the lookup, thousands of times a second. With locmem (a cache of this
process anyway) the value itself stays in a dict of this process and the cache holds a token for it: the entry
lives exactly as long as the cache's (its timeout, `delete`, `clear`) and a read unpickles an integer. Values whose
token the cache no longer holds (expired, culled at MAX_ENTRIES, cleared) are dropped from the dict once it holds
more than the cache's MAX_ENTRIES, so the process keeps no more objects than its cache's bound allows. With a
shared cache (Redis) the value is stored there as before, so that a `delete` reaches every process.

A value read here is shared by every caller until it expires: callers must not change it, or hand out copies
(`model_copy`)."""

import functools
import itertools

from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.db.models import JSONField, Model
from django.db.models.base import ModelState

_values: dict[str, tuple[int, object]] = {}
_tokens = itertools.count(1)
_sweep_above = 0  # `_values` is swept when it grows past this (the cache's MAX_ENTRIES, or twice what survived)


def local_get(key: str):
    """The value kept under `key`, or None."""
    backend = caches["default"]  # looked up once (a thread-local lookup each time)
    if not isinstance(backend, LocMemCache):
        return backend.get(key)
    token = backend.get(key)
    kept = _values.get(key) if token is not None else None
    return kept[1] if kept is not None and kept[0] == token else None


def local_set(key: str, value, timeout: int) -> None:
    backend = caches["default"]
    if isinstance(backend, LocMemCache):
        token = next(_tokens)  # never reused in this process: a token left in the cache names only its value
        _values[key] = (token, value)  # before the token: a reader that finds the token finds the value
        backend.set(key, token, timeout)
        if len(_values) > max(_sweep_above, backend._max_entries):
            _sweep(backend)
    else:
        backend.set(key, value, timeout)


def _sweep(backend: LocMemCache) -> None:
    """Drop the values whose token the cache no longer holds (expired, culled, cleared). Another thread's value kept
    but not yet in the cache may go too: its next read misses and keeps it again."""
    global _sweep_above
    for key, (token, _value) in list(_values.items()):
        if backend.get(key) != token:
            _values.pop(key, None)
    _sweep_above = 2 * len(_values)  # all alive (a cache bigger than MAX_ENTRIES): not again at every set


def local_delete(*keys: str) -> None:
    for key in keys:
        _values.pop(key, None)
    cache.delete_many(list(keys))


def local_forget(*keys: str) -> None:
    """Drop `keys` now and again when the caller's transaction commits: another request that reads the rows between
    the change and its commit reads them as they were and caches that (outside a transaction: once, now)."""
    local_delete(*keys)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: local_delete(*keys))


def model_copy(instance: Model) -> Model:
    """What unpickling gave each reader: the instance with its own field values (JSON values copied deeply) and
    its loaded related objects (a program's merchant) copied the same way. A few microseconds."""
    clone = instance.__class__.__new__(instance.__class__)
    clone.__dict__ = instance.__dict__.copy()
    for name in _json_fields(instance.__class__):
        if name in clone.__dict__:  # not deferred
            clone.__dict__[name] = _json_copy(clone.__dict__[name])
    clone._state = state = ModelState.__new__(ModelState)
    state.__dict__ = instance._state.__dict__.copy()  # `db`, `adding`, then its own related objects:
    state.fields_cache = {
        name: model_copy(related) if related is not None else None
        for name, related in instance._state.fields_cache.items()
    }
    return clone


@functools.cache
def _json_fields(model: type[Model]) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields if isinstance(field, JSONField))


def _json_copy(value):
    """A JSON value copied deeply (as `copy.deepcopy` would, in a fraction of its time)."""
    if type(value) is dict:
        return {key: _json_copy(item) for key, item in value.items()}
    if type(value) is list:
        return [_json_copy(item) for item in value]
    return value
