"""Throttling per program (server API) — one bucket per API key's program."""

from rest_framework.throttling import SimpleRateThrottle


class ProgramRateThrottle(SimpleRateThrottle):
    scope = "program"

    def get_cache_key(self, request, view):
        program = getattr(request, "program", None)
        ident = f"program:{program.pk}" if program else f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
