"""Voucher codes: 12 characters of the Shopify-safe alphabet of `loyalty.codes` (31 symbols, no 0/O/1/I/L),
about 59 bits drawn from `secrets`, so a code cannot be guessed and a merchant can push it to the shop as a
discount code as is. Uniqueness is the database's job (`rewards_voucher_unique_code`)."""

import re

from loyalty.codes import CODE_ALPHABET, random_code

VOUCHER_CODE_LENGTH = 12
VOUCHER_CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{{VOUCHER_CODE_LENGTH}}}$")


def voucher_code_generate() -> str:
    return random_code(VOUCHER_CODE_LENGTH)


def voucher_code_normalize(raw: str) -> str | None:
    """The code as stored, from what a shopper typed (case and surrounding spaces forgiven),
    or None when it cannot be a voucher code at all (answered 404 without a query)."""
    code = raw.strip().upper()
    return code if VOUCHER_CODE_RE.match(code) else None
