"""Throttling per program (server API) — one bucket per API key's program, shared by all its keys.

A fixed-window counter: one cache `incr` per call (and an `add` for the window's first), whatever the rate.
DRF's `SimpleRateThrottle` keeps every timestamp of the window in one cache entry and reads and writes it
whole on every call: at a few hundred calls a second that list is thousands of entries long and costs more
than the order it guards. A fixed window may let a burst of up to twice the rate through across a window
boundary, which is what the limit is for (protecting the service), not exact accounting."""

import time

from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


class ProgramRateThrottle(BaseThrottle):
    scope = "program"
    cache = cache

    def get_rate(self) -> str | None:
        # Read at request time (DRF reads it once at import), so a settings override takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident_key(self, request) -> str:
        program = getattr(request, "program", None)
        return self.program_ident(program) if program else f"ip:{self.get_ident(request)}"

    @staticmethod
    def program_ident(program) -> str:
        return f"program:{program.pk}"

    def allow_request(self, request, view) -> bool:
        return self.allow_ident(self.get_ident_key(request))

    def allow_ident(self, ident: str) -> bool:
        """Counts this call in the bucket of `ident` (a program's: `program_ident`); False once it is full."""
        rate = self.get_rate()
        if rate is None:
            return True
        allowed, window = SimpleRateThrottle.parse_rate(None, rate)
        now = time.time()
        start = int(now // window) * window
        self.wait_seconds = start + window - now
        key = f"throttle_{self.scope}_{ident}_{start}"
        return self._window_count(key, window) <= allowed

    def _window_count(self, key: str, window: int) -> int:
        """This call's number in its window. Every call but the window's first finds the entry, so `incr` comes
        first: one cache operation a call (an `add` first would be two, and pickle a value it throws away)."""
        try:
            return self.cache.incr(key)
        except ValueError:  # the window's first call: no entry yet
            pass
        if self.cache.add(key, 1, window + 1):
            return 1
        try:
            return self.cache.incr(key)  # another call added it in between
        except ValueError:  # ...and it expired already: a new window
            self.cache.add(key, 1, window + 1)
            return 1

    def wait(self) -> float:
        return self.wait_seconds
