"""Widget throttles: one bucket per identified shopper, one per IP address (rates: settings.WIDGET_THROTTLE_RATES),
counted in fixed windows (loyalty/api/fixed_window.py)."""

import functools
import hashlib

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import BaseThrottle

from loyalty.api.fixed_window import window_call


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
        # The backend itself: the `cache` proxy would look it up again for each of its operations.
        allowed, self.wait_seconds = window_call(caches["default"], bucket, rate)
        return allowed

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


@functools.lru_cache(maxsize=4096)
def _shopper_ident(program_id: int, customer_id: str) -> str:
    """Hashed: customer ids may hold characters a cache backend refuses in keys. Kept for the shoppers this process
    saw last (each of their pages asks again)."""
    return hashlib.sha256(f"{program_id}:{customer_id}".encode()).hexdigest()[:32]
