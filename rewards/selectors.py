"""Reads of the catalog, redemptions and vouchers, always scoped to one program."""

import re
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from loyalty.errors import NotFound
from loyalty.models import Program
from members.models import Member
from members.segments import segment_limited_filter
from rewards.codes import voucher_code_normalize
from rewards.models import Reward, Voucher


def reward_list(*, program: Program, at: datetime | None = None) -> QuerySet[Reward]:
    """The rewards a member can redeem now (active, inside their window), in catalog order."""
    at = at or timezone.now()
    return (
        Reward.objects.select_related("min_tier", "segment")
        .filter(program=program, active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=at), Q(ends_at__isnull=True) | Q(ends_at__gt=at))
    )


def rewards_offered(rewards: Iterable[Reward], *, member: Member | None, at: datetime | None = None) -> list[Reward]:
    """`rewards` (with their `segment` loaded) without those limited to a segment `member` is not in; a visitor
    (no member) is offered none of them. One query per distinct segment, none when no reward is segment-limited."""
    return segment_limited_filter(rewards, member, at=at)


def reward_get(*, program: Program, reward_id: int | str) -> Reward:
    """The program's reward by id (or by key, as the program file names it), or NotFound `reward_not_found`."""
    rewards = Reward.objects.select_related("min_tier").filter(program=program)
    if isinstance(reward_id, int) or re.fullmatch(r"[0-9]{1,18}", reward_id):
        reward = rewards.filter(pk=int(reward_id)).first()
    else:
        reward = rewards.filter(key=reward_id[:60]).first()
    if reward is None:
        raise NotFound(f"No reward {reward_id!r} in this program.", code="reward_not_found")
    return reward


def voucher_get(*, program: Program, code: str) -> Voucher:
    """The program's voucher by code: one probe of the unique index on `code` (member, tier and reward
    joined in), or NotFound `voucher_not_found`. A string that cannot be a code never reaches the database."""
    normalized = voucher_code_normalize(code)
    voucher = None
    if normalized:
        voucher = (
            Voucher.objects.select_related("member__tier", "reward", "redemption")
            .filter(program=program, code=normalized)
            .first()
        )
    if voucher is None:
        raise NotFound("No such code in this program.", code="voucher_not_found")
    voucher.member.program = program  # the caller's program already: no query for it when the member is answered
    return voucher


def voucher_list(*, member: Member) -> QuerySet[Voucher]:
    """The member's codes, newest first (from redemptions and referral rewards)."""
    return Voucher.objects.select_related("reward").filter(member=member).order_by("-id")
