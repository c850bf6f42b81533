"""Finding a member at the till: by the number on their member card (their referral code, printed and in the
portal's QR code), their email or their phone. Always inside one program."""

import re

from django.db.models import QuerySet

from loyalty.errors import NotFound, ValidationFailed
from loyalty.models import Program
from members.models import Member

LOOKUP_KEYS = ("customer_id", "card_number", "email", "phone")
MAX_CANDIDATES = 10


def card_number_normalize(value: str) -> str:
    """What the cashier typed or the scanner read: spaces, dashes and case are forgiven (`k7qx-2m9p`)."""
    return re.sub(r"[\s\-]", "", value).upper()[:16]


def phone_variants(value: str) -> list[str]:
    """The phone as typed and with only its digits (and a leading +): stored phones come in either form."""
    compact = re.sub(r"[^\d+]", "", value)
    return list(dict.fromkeys(v for v in (value.strip(), compact) if v))


def member_candidates(*, program: Program, key: str, value: str) -> QuerySet[Member]:
    members = Member.objects.select_related("tier").filter(program=program)
    if key == "customer_id":
        return members.filter(customer_id=value)
    if key == "card_number":
        return members.filter(referral_code=card_number_normalize(value))
    if key == "email":
        # Exact matches (as typed, lower-cased) keep to the (program, email) index.
        return members.filter(email__in=list(dict.fromkeys([value.strip(), value.strip().lower()])))
    if key == "phone":
        return members.filter(phone__in=phone_variants(value))
    raise ValidationFailed(f"Look members up by one of {', '.join(LOOKUP_KEYS)}.", code="invalid_lookup")


def member_find(*, program: Program, key: str, value: str) -> Member:
    """Exactly one member, or NotFound `member_not_found` (also when the key matches several members:
    the till must then ask for the card or the customer id)."""
    found = list(member_candidates(program=program, key=key, value=value)[:2])
    if len(found) != 1:
        raise NotFound("No single member matches; scan the member card instead.", code="member_not_found")
    found[0].program = program
    return found[0]
