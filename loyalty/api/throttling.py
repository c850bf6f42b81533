"""Throttling per program (server API): one bucket per API key's program, shared by all its keys, counted in fixed
windows (loyalty/api/fixed_window.py)."""

from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from loyalty.api.fixed_window import window_call


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
        allowed, self.wait_seconds = window_call(self.cache, f"throttle_{self.scope}_{ident}", rate)
        return allowed

    def wait(self) -> float:
        return self.wait_seconds
