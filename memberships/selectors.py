"""Reads of paid membership."""

from members.models import Member
from memberships.choices import LIVE_STATUSES
from memberships.models import Membership, MembershipPlan


def membership_live(*, member: Member) -> Membership | None:
    """The member's live membership (active, or cancelled but still paid) with its plan: one query."""
    return Membership.objects.select_related("plan").filter(member=member, status__in=LIVE_STATUSES).first()


def plan_list(*, program_id: int):
    return MembershipPlan.objects.filter(program_id=program_id, active=True).select_related("tier")
