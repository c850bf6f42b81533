"""The portal's one write of its own: a member editing their profile and email preferences."""

import logging
from datetime import date

from django.utils import timezone

from members.models import Member
from members.services.members import member_upsert

logger = logging.getLogger(__name__)


def member_profile_update(
    *,
    member: Member,
    first_name: str | None = None,
    last_name: str | None = None,
    birthday: date | None = None,
    emails_allowed: bool | None = None,
) -> Member:
    """Name and birthday through `member_upsert` (the one place profiles change); the email preference here."""
    if first_name is not None or last_name is not None or birthday is not None:
        member, _created = member_upsert(
            program=member.program,
            customer_id=member.customer_id,
            first_name=first_name,
            last_name=last_name,
            birthday=birthday,
        )
    if emails_allowed is not None and member.emails_allowed != emails_allowed:
        Member.objects.filter(pk=member.pk).update(emails_allowed=emails_allowed, updated_at=timezone.now())
        member.emails_allowed = emails_allowed
        logger.info(
            "member email preference program_id=%s member_id=%s allowed=%s",
            member.program_id,
            member.pk,
            emails_allowed,
        )
    return member
