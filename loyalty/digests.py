"""The storefront's proof of who its logged-in shopper is: `hex(HMAC-SHA256(program.digest_secret, customer_id))`.
The shop computes it server-side; the widget API and the portal's single sign-on verify it. One helper for both,
so the two never disagree on the encoding."""

import functools
import hashlib
import hmac

from loyalty.models import Program

DIGESTS_KEPT = 4096  # expected digests kept per process (a few hundred bytes each)


def digest_for(program: Program, customer_id: str) -> str:
    return _digest(program.digest_secret, customer_id)


@functools.lru_cache(maxsize=DIGESTS_KEPT)
def _digest(secret: str, customer_id: str) -> str:
    """Computed once per secret and customer in this process: a shopper's every widget page asks it again, and the
    HMAC cost as much as the rest of their identification. Only the expected digest is kept: a presented one is
    still compared in constant time, and a rotated secret misses."""
    return hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()


def digest_valid(program: Program, customer_id: str, digest: str) -> bool:
    """Constant-time comparison; any non-string or empty input is simply invalid."""
    if not isinstance(customer_id, str) or not isinstance(digest, str) or not customer_id or not digest:
        return False
    return hmac.compare_digest(digest_for(program, customer_id), digest.strip().lower())


def sso_signature(program: Program, customer_id: str, timestamp: int) -> str:
    """Signature of a portal single sign-on link (`/p/{slug}/sso?customer=…&ts=…&sig=…`): keyed on the shopper's
    widget digest, so whatever already holds the digest (the shop's page, widget.js) can sign a link without the
    program secret, and the link itself never carries the long-lived digest."""
    key = digest_for(program, customer_id).encode()
    return hmac.new(key, f"{customer_id}:{timestamp}".encode(), hashlib.sha256).hexdigest()


def sso_signature_valid(program: Program, customer_id: str, timestamp: int, signature: str) -> bool:
    if not isinstance(signature, str) or not signature or not customer_id:
        return False
    return hmac.compare_digest(sso_signature(program, customer_id, timestamp), signature.strip().lower())
