"""Server API authentication: `Authorization: Bearer <api_key>`. Keys are looked up by their SHA-256,
so the raw key is never stored and the lookup reveals nothing about near-misses.

A valid key's program is cached for a few seconds (`loyalty.program_config`): the busiest endpoints answer
thousands of calls a second with the same key. Revoking a key drops it from the cache; a revocation made in
another process with a per-process cache takes effect there within `PROGRAM_CONFIG_CACHE_SECONDS`. Unknown
and revoked keys are never cached, so a bad key always costs the lookup."""

from django.db.models import Q
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from loyalty.models import ApiKey, hash_api_key
from loyalty.program_config import api_key_program_cached, api_key_program_remember

KEYWORD = "Bearer"


def bearer_key_hash(request) -> str | None:
    """The SHA-256 of the key in `Authorization: Bearer <api_key>` (`request`: Django's or DRF's), None without an
    `Authorization` header; `AuthenticationFailed` for a malformed one."""
    header = authentication.get_authorization_header(request).split()
    if not header:
        return None
    if header[0].lower() != KEYWORD.lower().encode() or len(header) != 2:
        raise exceptions.AuthenticationFailed(f"Send the API key as `Authorization: {KEYWORD} <api_key>`.")
    try:
        raw = header[1].decode("ascii")
    except UnicodeDecodeError:
        raise exceptions.AuthenticationFailed("Invalid API key.") from None
    return hash_api_key(raw)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = KEYWORD

    def authenticate(self, request):
        key_hash = bearer_key_hash(request)
        if key_hash is None:
            return None
        program = api_key_program_cached(key_hash)
        if program is None:
            key = (
                ApiKey.objects.select_related("program__merchant")
                .filter(Q(key_hash=key_hash), revoked_at__isnull=True)
                .first()
            )
            if key is None:
                raise exceptions.AuthenticationFailed("Invalid API key.")
            program = key.program
            api_key_program_remember(key_hash, program)
        request.program = program
        return (None, key_hash)

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "loyalty.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "The program's server API key."}
