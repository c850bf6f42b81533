"""ETags for widget answers: the same answer twice is a `304` with no body. Public answers (the program, a guest's
points preview) may be kept by shared caches for a minute; a shopper's own answers only by their browser."""

import hashlib
import json

from django.core.cache import cache
from rest_framework import status
from rest_framework.response import Response

PUBLIC = "public, max-age=60"
PRIVATE = "private, no-cache"
# The program and the shopper travel in headers: a cache must not hand one program's answer to another.
VARY = "Origin, X-Loyalty-Program, X-Loyalty-Customer, X-Loyalty-Digest"


def etag_of(data) -> str:
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def cached_response(request, data, *, public: bool, etag: str | None = None) -> Response:
    etag = etag or etag_of(data)
    if_none_match = request.headers.get("If-None-Match", "")
    matches = etag in [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    response = Response(status=status.HTTP_304_NOT_MODIFIED) if matches else Response(data)
    response["ETag"] = etag
    response["Cache-Control"] = PUBLIC if public else PRIVATE
    response["Vary"] = VARY
    return response


ME_SECONDS = 30


def me_cache_key(member) -> str:
    """A member's `me` answer is kept while nothing it shows has changed: every ledger write, tier change and
    profile update moves `updated_at`. What changes without touching the member (a code used at checkout, an
    edited catalog, the clock) shows within ME_SECONDS."""
    return f"widget:me:{member.pk}:{member.updated_at.timestamp()}:{member.tier_id}"


def me_cached(member, build) -> tuple[dict, str]:
    """(answer, etag) from the cache, or built and kept for ME_SECONDS."""
    key = me_cache_key(member)
    hit = cache.get(key)
    if hit is None:
        data = build()
        hit = (data, etag_of(data))
        cache.set(key, hit, ME_SECONDS)
    return hit
