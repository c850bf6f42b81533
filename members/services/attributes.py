"""Custom member attributes sent by the shop (`attributes` of `POST /api/v1/members`), used by segments.

An object of names to text, number or true/false, merged into what the member has (JSON merge patch: a given
name replaces its value, `null` removes it, names not sent are kept). Names are the ones segment conditions can
address (`attributes.<name>`): letters, digits, `-` and single `_`, up to 64 characters.
"""

import math

from django.db import transaction
from django.utils import timezone

from loyalty.errors import ValidationFailed
from loyalty.models import Program
from loyalty.segment_conditions import ATTRIBUTE_NAME
from members.models import Member

MAX_PER_REQUEST = 50
MAX_PER_MEMBER = 100
MAX_TEXT = 255
MAX_NUMBER = 10**15


def attributes_clean(value) -> dict:
    """The attributes of one request, checked; `ValidationFailed` (400 invalid_input) names the first problem."""
    if not isinstance(value, dict):
        raise _invalid("Must be an object of names to text, numbers or true/false.")
    if len(value) > MAX_PER_REQUEST:
        raise _invalid(f"At most {MAX_PER_REQUEST} attributes per request.")
    for name, item in value.items():
        if not ATTRIBUTE_NAME.match(name):
            raise _invalid(f"{name[:70]!r}: a name is letters, digits, - or single _, up to 64 characters.")
        if item is None or isinstance(item, bool):
            continue
        if isinstance(item, str):
            if len(item) > MAX_TEXT or "\x00" in item:
                raise _invalid(f"{name}: text is at most {MAX_TEXT} characters, without NUL.")
        elif isinstance(item, (int, float)):
            if not math.isfinite(item) or abs(item) > MAX_NUMBER:
                raise _invalid(f"{name}: numbers are finite and at most 10^15.")
        else:
            raise _invalid(f"{name}: must be text, a number, true/false or null (to remove it).")
    return value


def attributes_room_check(*, program: Program, customer_id: str, attributes: dict) -> None:
    """Refuse (before anything is written) a merge that would leave the member more than MAX_PER_MEMBER."""
    current = Member.objects.filter(program=program, customer_id=customer_id).values_list("attributes", flat=True)
    merged = _merged(next(iter(current), None) or {}, attributes)
    if len(merged) > MAX_PER_MEMBER:
        raise _invalid(f"A member has at most {MAX_PER_MEMBER} attributes; remove some with null first.")


def member_attributes_merge(*, member: Member, attributes: dict) -> Member:
    """Merge `attributes` (already cleaned) into the member's, under the row lock; no write when nothing changes
    (and no transaction without attributes: most upserts send none)."""
    if not attributes:
        return member
    with transaction.atomic():
        current = Member.objects.select_for_update().filter(pk=member.pk).values_list("attributes", flat=True).get()
        merged = _merged(current or {}, attributes)
        if merged != current:
            # `updated_at` moves too: the widget's cached `me` (segment-limited rewards) is versioned by it.
            Member.objects.filter(pk=member.pk).update(attributes=merged, updated_at=timezone.now())
    member.attributes = merged
    return member


def _merged(current: dict, patch: dict) -> dict:
    merged = {**current, **patch}
    return {name: value for name, value in merged.items() if value is not None}


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(f"attributes: {message}", fields={"attributes": [message]})
