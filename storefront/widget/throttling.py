"""Widget throttles: one bucket per identified shopper, one per IP address (rates: settings.WIDGET_THROTTLE_RATES).

Fixed-window counters: one cache `add` (a window's first call) or `incr` per call, whatever the rate. DRF's
`SimpleRateThrottle` stores every timestamp of the window in one cache entry and reads and writes it whole on
every call, which for a busy IP (a shop behind one NAT, a load test) is a list of thousands of entries unpickled
and pickled again per call: more than a cached `me` costs. A fixed window may let up to twice the rate through
across a window boundary; the limit is there to stop abuse and digest guessing, not to count exactly."""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
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
        allowed, window = SimpleRateThrottle.parse_rate(self, rate)
        now = time.time()
        start = int(now // window) * window
        self.wait_seconds = start + window - now
        key = f"{bucket}:{start}"
        try:
            return cache.incr(key) <= allowed
        except ValueError:  # the window's first call (or its entry was evicted)
            if cache.add(key, 1, window + 1):
                return allowed >= 1
            return cache.incr(key) <= allowed  # another process added it first

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
        # Hashed: customer ids may hold characters a cache backend refuses in keys.
        ident = hashlib.sha256(f"{shopper.program.pk}:{shopper.customer_id}".encode()).hexdigest()[:32]
        return f"throttle:{self.scope}:{ident}"
