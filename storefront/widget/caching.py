"""ETags for widget answers: the same answer twice is a `304` with no body. Public answers (the program, a guest's
points preview) may be kept by shared caches for a minute; a shopper's own answers only by their browser.

A member's `me` answer is also kept here, rendered, under the member's version (storefront/widget/selectors.py
`member_me_version`: one indexed read on every call): a storefront asks for `me` on every page a shopper opens,
and the answer changes far less often than that."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.http import HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

PUBLIC = "public, max-age=60"
PRIVATE = "private, no-cache"
# The program and the shopper travel in headers: a cache must not hand one program's answer to another.
VARY = "Origin, X-Loyalty-Program, X-Loyalty-Customer, X-Loyalty-Digest"


def etag_of_body(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_of(data) -> str:
    return etag_of_body(json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode())


def _conditional(request, etag: str, public: bool, answer) -> HttpResponseBase:
    """`304` when the client holds `etag` already, else `answer()`; with the caching headers either way."""
    if_none_match = request.headers.get("If-None-Match", "")
    matches = etag in [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    # Django's own 304 (no body, no Content-Type), as DRF sends an empty Response: it serves the thin `me` view too.
    response = HttpResponseNotModified() if matches else answer()
    response["ETag"] = etag
    response["Cache-Control"] = PUBLIC if public else PRIVATE
    response["Vary"] = VARY
    return response


def cached_response(request, data, *, public: bool, etag: str | None = None) -> HttpResponseBase:
    return _conditional(request, etag or etag_of(data), public, lambda: Response(data))


# The longest a member's `me` answer is kept. What it shows changes with the member's version, read on every
# call, or at a moment known when it is built (a code or a reward window ending, a reward opening, points
# expiring, the tier period moving on: `me_deadline`), which ends the entry sooner; this bounds the rest.
ME_SECONDS = 300


@dataclass(frozen=True)
class Answer:
    """A rendered answer, ready to send again: its JSON body and its ETag."""

    body: bytes
    etag: str


def me_cache_key(member_id: int) -> str:
    return f"widget:me:{member_id}"


def me_cached(version) -> Answer | None:
    """The member's kept `me` answer if it was built for this version (`MeVersion`, read on every call), else None."""
    hit = cache.get(me_cache_key(version.member_id))
    return hit[1] if hit is not None and hit[0] == version.token else None


def me_answer(version, build: Callable[[datetime], tuple[dict, datetime | None]]) -> Answer:
    """The member's `me` answer, from the cache while the member's version is the one it was built for, else
    built, rendered once and kept until the clock alone would change it. `build(at)` returns the answer's data and
    when it goes out of date by itself (None: not before ME_SECONDS)."""
    kept = me_cached(version)
    if kept is not None:
        return kept
    key = me_cache_key(version.member_id)
    at = timezone.now()
    data, deadline = build(at)
    body = JSONRenderer().render(data)
    answer = Answer(body=body, etag=etag_of_body(body))
    seconds = ME_SECONDS if deadline is None else min(ME_SECONDS, (deadline - at).total_seconds())
    if seconds >= 1:
        cache.set(key, (version.token, answer), seconds)
    return answer


def answer_response(request, answer: Answer, *, public: bool) -> HttpResponseBase:
    """The stored body as it is (no second rendering), or `304`."""
    return _conditional(
        request, answer.etag, public, lambda: HttpResponse(answer.body, content_type="application/json")
    )
