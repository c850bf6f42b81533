"""The storefront's proof of who its logged-in shopper is: `hex(HMAC-SHA256(program.digest_secret, customer_id))`.
The shop computes it server-side; the widget API and the portal's single sign-on verify it. One helper for both,
so the two never disagree on the encoding."""

import hashlib
import hmac

from loyalty.models import Program


def digest_for(program: Program, customer_id: str) -> str:
    return hmac.new(program.digest_secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()


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
