"""Widget throttles: one bucket per identified shopper, one per IP address (rates: settings.WIDGET_THROTTLE_RATES).

Fixed-window counters: one cache `add` (a window's first call) or `incr` per call, whatever the rate. DRF's
`SimpleRateThrottle` stores every timestamp of the window in one cache entry and reads and writes it whole on
every call, which for a busy IP (a shop behind one NAT, a load test) is a list of thousands of entries unpickled
and pickled again per call: more than a cached `me` costs. A fixed window may let up to twice the rate through
across a window boundary; the limit is there to stop abuse and digest guessing, not to count exactly."""

import functools
import hashlib
import time

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


class _WidgetThrottle(BaseThrottle):
    scope = ""
    wait_seconds = 0.0

    def get_rate(self) -> str | None:
        # Read at request time, so a settings override takes effect.
        return settings.WIDGET_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        rate, bucket = self.get_rate(), self.get_cache_key(request, view)
        if rate is None or bucket is None:
            return True
        allowed, window = _parsed_rate(rate)
        now = time.time()
        start = int(now // window) * window
        self.wait_seconds = start + window - now
        key = f"{bucket}:{start}"
        backend = caches["default"]  # looked up once, not through the `cache` proxy per call
        try:
            return backend.incr(key) <= allowed
        except ValueError:  # the window's first call (or its entry was evicted)
            if backend.add(key, 1, window + 1):
                return allowed >= 1
            return backend.incr(key) <= allowed  # another process added it first

    def wait(self) -> float:
        return self.wait_seconds


class WidgetIpThrottle(_WidgetThrottle):
    scope = "widget_ip"

    def get_cache_key(self, request, view):
        return f"throttle:{self.scope}:{self.get_ident(request)}"


class WidgetShopperThrottle(_WidgetThrottle):
    scope = "widget_shopper"

    def get_cache_key(self, request, view):
        shopper = getattr(request, "shopper", None)
        if shopper is None or shopper.customer_id is None:
            return None  # guests are covered by the IP bucket
        return f"throttle:{self.scope}:{_shopper_ident(shopper.program.pk, shopper.customer_id)}"


@functools.lru_cache(maxsize=64)
def _parsed_rate(rate: str) -> tuple[int, int]:
    """(calls, seconds) of a rate such as `120/min`, as DRF parses it (a few rates per process)."""
    return SimpleRateThrottle.parse_rate(None, rate)


@functools.lru_cache(maxsize=4096)
def _shopper_ident(program_id: int, customer_id: str) -> str:
    """Hashed: customer ids may hold characters a cache backend refuses in keys. Kept for the shoppers this process
    saw last (each of their pages asks again)."""
    return hashlib.sha256(f"{program_id}:{customer_id}".encode()).hexdigest()[:32]
