"""Tier assignment. Joining puts a member in the entry tier; upgrades follow the ledger."""

from datetime import datetime

from loyalty.models import Tier
from members.choices import TierChangeReason
from members.models import Member, TierChange


def tier_entry(*, program_id: int) -> Tier | None:
    """The tier every member starts in: the lowest non-invite tier with a threshold of 0."""
    return (
        Tier.objects.filter(program_id=program_id, invite_only=False, threshold__lte=0)
        .order_by("position", "id")
        .first()
    )


def member_tier_join(*, member: Member, at: datetime) -> None:
    tier = tier_entry(program_id=member.program_id)
    if tier is None:
        return
    member.tier = tier
    member.tier_achieved_at = at
    Member.objects.filter(pk=member.pk).update(tier=tier, tier_achieved_at=at)
    TierChange.objects.create(
        member=member, from_tier=None, to_tier=tier, reason=TierChangeReason.JOINED, created_at=at
    )


def member_next_tier(*, member: Member) -> dict | None:
    """`{key, name, remaining}` of the next tier reachable by thresholds, in the metric's unit.
    First version: lifetime points earned only (the tiers issue extends it to every metric and period)."""
    current = member.tier.threshold if member.tier and member.tier.threshold is not None else -1
    tier = (
        Tier.objects.filter(program_id=member.program_id, invite_only=False, threshold__gt=current)
        .order_by("threshold", "position")
        .first()
    )
    if tier is None:
        return None
    remaining = max(tier.threshold - member.lifetime_points, 0)
    return {
        "key": tier.key,
        "name": tier.name,
        "remaining": int(remaining) if remaining == int(remaining) else remaining,
    }
