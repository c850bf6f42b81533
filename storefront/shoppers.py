"""Who is asking, on the storefront: the program (its public key) and, when the shop vouches for a logged-in
shopper, their customer id. The shop proves it with `hex(HMAC-SHA256(digest_secret, customer_id))`, compared
in constant time before any member is looked up, so a wrong digest tells nothing about which customers exist."""

from dataclasses import dataclass

from loyalty.api.fields import storable_text
from loyalty.digests import digest_for, digest_valid
from loyalty.errors import ApplicationError
from loyalty.local_cache import local_forget, local_get, local_set, model_copy
from loyalty.models import Program

PROGRAM_HEADER = "X-Loyalty-Program"
CUSTOMER_HEADER = "X-Loyalty-Customer"
DIGEST_HEADER = "X-Loyalty-Digest"
# Preflight requests carry no header values, so the widget also names its program in the query string.
PROGRAM_PARAM = "program"
_CACHED_PROGRAM = "_loyalty_widget_program"  # the request's own copy
_SHARED_PROGRAM = "_loyalty_widget_program_shared"  # the cached object, read only
PROGRAM_SECONDS = 10


class Unauthorized(ApplicationError):
    status = 401
    code = "unauthorized"


@dataclass(frozen=True)
class Shopper:
    program: Program
    customer_id: str | None  # None: a guest (the program header only)


def customer_digest(*, program: Program, customer_id: str) -> str:
    """What the shop's server computes for its logged-in customer (and what the demo shop embeds)."""
    return digest_for(program, customer_id)


def program_key_of(request) -> str:
    return (request.headers.get(PROGRAM_HEADER) or request.GET.get(PROGRAM_PARAM) or "").strip()


def request_program(request, *, shared: bool = False) -> Program | None:
    """The program the request names, looked up once per request (the CORS check and the view share it) and
    kept PROGRAM_SECONDS in the cache: every widget call needs it, and storefront traffic is many small reads.
    A program edited in the admin (colours, allowed origins, a rotated digest secret) shows within that time.
    With the per-process cache the program stays an object in this process (loyalty/local_cache.py: no unpickling
    on every widget call) and each request gets its own copy. `shared`: a caller that only reads the program (a
    kept widget answer: its id and digest secret) gets the cached object itself; a later caller of the same request
    copies it then (the CORS check, after the view), without looking it up again."""
    if hasattr(request, _CACHED_PROGRAM):
        return getattr(request, _CACHED_PROGRAM)
    if not hasattr(request, _SHARED_PROGRAM):
        setattr(request, _SHARED_PROGRAM, _program_of_key(program_key_of(request)))
    program = getattr(request, _SHARED_PROGRAM)
    if shared or program is None:
        return program
    program = model_copy(program)  # each request its own (a copy costs a few us, unpickling ~20)
    setattr(request, _CACHED_PROGRAM, program)
    return program


def _program_of_key(key: str) -> Program | None:
    """The program of a public key as the cache keeps it (shared by the process's requests: read only), looked up
    and kept when missing."""
    if not storable_text(key, max_length=40):
        return None
    cache_key = _program_cache_key(key)
    program = local_get(cache_key)
    if program is None:
        program = Program.objects.filter(public_key=key).first()
        if program is not None:
            local_set(cache_key, program, PROGRAM_SECONDS)
    return program


def _program_cache_key(public_key: str) -> str:
    return f"widget:program:{public_key}"


def program_forget(*, public_key: str) -> None:
    """Drop the cached program (on save: this process, or every process with a shared cache, sees it at once), and
    again when the saving transaction commits (a widget call in between cached the program as it was)."""
    local_forget(_program_cache_key(public_key))


def shopper_identify(request, *, shared_program: bool = False) -> Shopper:
    """The program, and the customer if the shop signed one. Unknown program or wrong digest: 401.
    `shared_program`: the program may be the cached object itself (`request_program`), for reading only."""
    program = request_program(request, shared=shared_program)
    if program is None:
        raise Unauthorized(f"Send the program's public key in {PROGRAM_HEADER}.", code="unknown_program")
    customer_id = request.headers.get(CUSTOMER_HEADER)
    digest = request.headers.get(DIGEST_HEADER)
    if customer_id is None and digest is None:
        return Shopper(program=program, customer_id=None)
    if not customer_id or not digest or not storable_text(customer_id):
        raise Unauthorized(f"Send both {CUSTOMER_HEADER} and {DIGEST_HEADER}.", code="invalid_digest")
    # compare_digest refuses non-ASCII strings (TypeError): such a digest is simply wrong.
    if not digest.isascii() or not digest_valid(program, customer_id, digest):
        raise Unauthorized("The customer digest does not match.", code="invalid_digest")
    return Shopper(program=program, customer_id=customer_id)
