"""Throttling per program (server API) — one bucket per API key's program, shared by all its keys."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class ProgramRateThrottle(SimpleRateThrottle):
    scope = "program"

    def get_rate(self):
        # Read at request time (DRF reads it once at import), so a settings override takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        program = getattr(request, "program", None)
        ident = f"program:{program.pk}" if program else f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
