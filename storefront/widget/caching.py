"""ETags for widget answers: the same answer twice is a `304` with no body. Public answers (the program, a guest's
points preview) may be kept by shared caches for a minute; a shopper's own answers only by their browser.

A member's `me` answer is also kept, rendered, under the member's version: a storefront asks for `me` on every page
a shopper opens, and the answer changes far less often than that. Where it is kept, measured (tests/bench: shoppers
browsing 10 pages each on 4 gunicorn workers):
- in the process's cache (Django's local memory by default): each worker builds its own copy, so a shopper's pages
  landing on workers that have not seen them yet build again: 40% of the answers built instead of 10%;
- in a shared cache (Redis): one build per change, but the version must still be read from the database on every
  call (a per-process cache cannot be told of writes), so every call costs a database and a Redis round trip;
- beside the member in the database (`storefront.models.MeAnswer`), read by the very statement that reads the
  version (storefront/widget/selectors.py `member_me_version`): one statement per call either way, one build per
  change for all workers, and no cache to configure. Kept here: a first view pays one upsert more.
The version is one index lookup because the writes move what it reads (the member's `updated_at`, the program's
catalog token); a kept answer is served without DRF's dispatch (storefront/widget/views.py `widget_me`)."""

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.http import HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.utils import timezone
from psycopg.types.numeric import Int8
from rest_framework.response import Response

from loyalty.api.renderers import json_bytes
from members.prepared import fetch_one
from storefront.models import MeAnswer

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
# expiring, the tier period moving on: `me_deadline`), which ends it sooner; this bounds the rest.
ME_SECONDS = 300


@dataclass(frozen=True)
class Answer:
    """A rendered answer, ready to send again: its JSON body and its ETag."""

    body: bytes
    etag: str


def me_answer(version, build: Callable[[datetime], tuple[dict, datetime | None]]) -> Answer:
    """The member's `me` answer: the kept one while it is theirs (`MeVersion.kept`, read with the version), else
    built, rendered once and kept until the clock alone would change it. `build(at)` returns the answer's data and
    when it goes out of date by itself (None: not before ME_SECONDS)."""
    if version.kept is not None:
        return version.kept
    at = timezone.now()
    data, deadline = build(at)
    body = json_bytes(data)  # JSONRenderer's bytes, with a shared encoder instead of a new one per answer
    answer = Answer(body=body, etag=etag_of_body(body))
    seconds = ME_SECONDS if deadline is None else min(ME_SECONDS, (deadline - at).total_seconds())
    if seconds >= 1:
        me_keep(
            member_id=version.member_id, version=version.token, answer=answer, until=at + timedelta(seconds=seconds)
        )
    return answer


def me_keep(*, member_id: int, version: str, answer: Answer, until: datetime) -> None:
    """Keep the answer beside the member: one upsert, whoever builds last (raw SQL: `bulk_create`'s upsert wraps
    itself in a transaction, two more round trips; a prepared statement on PostgreSQL, as the first view's read).
    Two workers building at once for different versions may leave the older one: the next call sees it is not
    theirs and builds again."""
    # The id as bigint whatever its size: one prepared statement (storefront/widget/first_view.py).
    fetch_one(_me_keep_sql(), [Int8(member_id), version, answer.etag, answer.body, _db_datetime(until)])


@functools.cache
def _me_keep_sql() -> str:
    table = MeAnswer._meta.db_table
    return (
        f"INSERT INTO {table} (member_id, version, etag, body, expires_at) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (member_id) DO UPDATE SET version = EXCLUDED.version, etag = EXCLUDED.etag,"
        " body = EXCLUDED.body, expires_at = EXCLUDED.expires_at RETURNING member_id"  # fetch_one reads a row
    )


def _db_datetime(moment: datetime):
    return connection.ops.adapt_datetimefield_value(moment)


def answer_response(request, answer: Answer, *, public: bool) -> HttpResponseBase:
    """The stored body as it is (no second rendering), or `304`."""
    return _conditional(
        request, answer.etag, public, lambda: HttpResponse(answer.body, content_type="application/json")
    )
