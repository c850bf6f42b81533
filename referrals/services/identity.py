"""Normalising what identifies a person, so that two spellings of one email, phone or address compare equal.
Pure functions: no queries."""

import hashlib
import re

# Providers that ignore dots in the local part; plus-tags are stripped for every domain (most honour them).
_DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def email_normalize(email: str) -> str:
    """`J.Doe+shop@GoogleMail.com` → `jdoe@gmail.com`; empty stays empty."""
    email = (email or "").strip().lower()
    if "@" not in email:
        return email
    local, _, domain = email.rpartition("@")
    local = local.split("+", 1)[0]
    if domain in _DOTLESS_DOMAINS:
        domain = _DOTLESS_DOMAINS[domain]
        local = local.replace(".", "")
    return f"{local}@{domain}"


def phone_normalize(phone: str) -> str:
    """Digits only, without the international prefix's leading zeros; the last 9 digits decide, so
    `+1 (415) 555-0100` and `415 555 0100` match. Fewer than 6 digits is not a phone number."""
    digits = re.sub(r"\D", "", phone or "").lstrip("0")
    return digits[-9:] if len(digits) >= 6 else ""


def address_normalize(address: str) -> str:
    """Case, punctuation and spacing do not make another address."""
    return " ".join(re.sub(r"[^\w]+", " ", (address or "").lower()).split())


def signal_hash(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()
