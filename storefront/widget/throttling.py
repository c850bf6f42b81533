"""Widget throttles: one bucket per identified shopper, one per IP address (rates: settings.WIDGET_THROTTLE_RATES)."""

import hashlib

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class _WidgetThrottle(SimpleRateThrottle):
    def get_rate(self):
        # Read at request time, so a settings override takes effect.
        return settings.WIDGET_THROTTLE_RATES.get(self.scope)


class WidgetIpThrottle(_WidgetThrottle):
    scope = "widget_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class WidgetShopperThrottle(_WidgetThrottle):
    scope = "widget_shopper"

    def get_cache_key(self, request, view):
        shopper = getattr(request, "shopper", None)
        if shopper is None or shopper.customer_id is None:
            return None  # guests are covered by the IP bucket
        # Hashed: customer ids may hold characters a cache backend refuses in keys.
        ident = hashlib.sha256(f"{shopper.program.pk}:{shopper.customer_id}".encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": ident}
