"""Tier assignment for one member: joining, real-time upgrades after earning, manual (invite-only) tiers.

Rules (see `members.tier_selectors` for what the metric counts and the period windows):
- Joining puts a member in the entry tier (threshold 0).
- The order or event whose ledger post crosses a threshold upgrades the member in the same transaction
  (`tier_evaluate_after_earning`; an order on PostgreSQL in its own write statement, `order_sql.order_write`,
  by the same rule: `tier_selectors.tier_upgrades`). Real time only ever upgrades: a refund that drops the value
  below a threshold changes nothing until the `recalculate_tiers` job, which moves members up and down.
  The order that crossed the threshold was priced with the old multiplier; the new one applies from the next.
- Pending points count once they are active: the activation job calls `tiers_upgrade_members`.
- A tier set by hand (`member_tier_assign`) is locked: no threshold, job or refund moves it until it is
  removed by hand, which puts the member back in the tier their activity earns.
- Every change writes a `TierChange`; rows with `notified_at IS NULL` are the notifications still to send.
"""

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from loyalty.choices import TierMetric
from loyalty.errors import ValidationFailed
from loyalty.models import Tier
from members.choices import TierChangeReason
from members.models import Member, TierChange
from members.services.ledger import member_lock
from members.services.tier_recalculation import tiers_upgrade_members  # noqa: F401  (re-exported for callers)
from members.tier_selectors import (
    TierStanding,
    member_tier_standing,
    tier_for_units,
    tier_upgrade_target,
    tier_upgrades,
    tier_value_display,
)

logger = logging.getLogger(__name__)


def tier_entry(tiers: Iterable[Tier]) -> Tier | None:
    """The tier every member starts in: the lowest-ranked non-invite tier with a threshold of 0. `tiers` by rank,
    lowest first, as the cached program configuration holds them (`program_config(program).tiers`): no query."""
    return next((t for t in tiers if not t.invite_only and t.threshold is not None and t.threshold <= 0), None)


def tier_joined_change(*, member: Member, at: datetime) -> TierChange | None:
    """The unsaved 'joined' `TierChange` of a new member: the member row was inserted in its entry tier already
    (`tier`, `tier_achieved_at` from `tier_entry`), so joining is this one row; None without a tier."""
    if member.tier_id is None:
        return None
    return TierChange(member=member, from_tier=None, to_tier=member.tier, reason=TierChangeReason.JOINED, created_at=at)


def tier_units_after_joining(*, program, signup_points: int) -> int:
    """A member's tier metric value right after joining, without reading it back: they have no history but their
    sign-up points, which count (active, an earning kind, dated now) only when the metric is points earned."""
    return signup_points if program.tier_metric == TierMetric.POINTS_EARNED else 0


def _tier_change(
    *,
    member: Member,
    to_tier: Tier | None,
    reason: str,
    at: datetime,
    acting_user=None,
    locked: bool | None = None,
) -> TierChange:
    """Move the (locked) member to `to_tier` and record why; the caller holds the member lock."""
    from_tier = member.tier
    fields = {"tier": to_tier, "tier_achieved_at": at}
    if locked is not None:
        fields["tier_locked"] = locked
    Member.objects.filter(pk=member.pk).update(**fields, updated_at=timezone.now())
    for name, value in fields.items():
        setattr(member, name, value)
    change = TierChange.objects.create(
        member=member, from_tier=from_tier, to_tier=to_tier, reason=reason, acting_user=acting_user, created_at=at
    )
    _tier_change_logged(member=member, from_tier=from_tier, to_tier=to_tier, reason=reason, acting_user=acting_user)
    return change


def _tier_change_logged(*, member: Member, from_tier: Tier | None, to_tier: Tier | None, reason: str, acting_user=None):
    logger.info(
        "tier changed program=%s customer_id=%s from=%s to=%s reason=%s acting_user=%s",
        member.program_id,
        member.customer_id,
        from_tier.key if from_tier else None,
        to_tier.key if to_tier else None,
        reason,
        getattr(acting_user, "pk", None),
    )


def tier_upgrade(*, member: Member, to_tier: Tier, at: datetime) -> TierChange:
    """Move the (locked) member up to `to_tier`, reached by earning (`tier_upgrade_target`): the tier and its
    'earned' change written through the ORM (two statements)."""
    return _tier_change(member=member, to_tier=to_tier, reason=TierChangeReason.EARNED, at=at)


def tier_upgraded(*, member: Member, to_tier: Tier, at: datetime) -> None:
    """`tier_upgrade` already written by the caller's own statement (an order's on PostgreSQL: the member's tier,
    `tier_achieved_at` and the 'earned' `TierChange`, `order_sql.order_write`): the same on the `member` object and
    the same log line."""
    from_tier = member.tier
    member.tier, member.tier_achieved_at = to_tier, at
    _tier_change_logged(member=member, from_tier=from_tier, to_tier=to_tier, reason=TierChangeReason.EARNED)


def tier_evaluate_after_earning(*, member: Member, at: datetime) -> TierChange | None:
    """Upgrade the member if their activity in the period of `at` reaches a higher tier.
    Call inside the transaction of the ledger post, with `member` from `member_lock`.
    One query when nothing changes, three when the member moves up."""
    if member.tier_locked:
        return None
    standing = member_tier_standing(member=member, at=at)
    target = tier_upgrade_target(tier_upgrades(member=member, tiers=standing.tiers), standing.units)
    return None if target is None else tier_upgrade(member=member, to_tier=target, at=at)


def member_tier_assign(*, member: Member, tier_key: str | None, acting_user=None, at: datetime | None = None) -> Member:
    """Put the member in `tier_key` by hand and lock it there, or with None remove the manual tier
    (the member goes back to the tier their activity earns). Repeating the same call changes nothing.
    An unknown key is `400 unknown_tier` and writes nothing."""
    at = at or timezone.now()
    tier = None
    if tier_key is not None:
        tier = Tier.objects.filter(program_id=member.program_id, key=tier_key).first()
        if tier is None:
            raise ValidationFailed(
                f"The program has no tier {tier_key!r}.", code="unknown_tier", fields={"tier": ["Unknown tier."]}
            )
    with transaction.atomic():
        member = member_lock(member.pk)
        if tier is not None:
            if member.tier_locked and member.tier_id == tier.pk:
                return member
            _tier_change(
                member=member, to_tier=tier, reason=TierChangeReason.MANUAL, at=at, acting_user=acting_user, locked=True
            )
            return member
        if not member.tier_locked:
            return member
        standing = member_tier_standing(member=member, at=at)
        earned = tier_for_units(program=member.program, tiers=standing.tiers, units=standing.units)
        if earned == member.tier:
            Member.objects.filter(pk=member.pk).update(tier_locked=False, updated_at=timezone.now())
            member.tier_locked = False
            return member
        _tier_change(
            member=member, to_tier=earned, reason=TierChangeReason.MANUAL, at=at, acting_user=acting_user, locked=False
        )
    return member


def member_next_tier(*, member: Member, at: datetime | None = None) -> dict | None:
    """`{key, name, remaining}` of the next tier reachable by thresholds, `remaining` in the metric's
    unit (points or orders as an integer, money as a 2-place decimal string). One query."""
    return next_tier_data(program=member.program, standing=member_tier_standing(member=member, at=at or timezone.now()))


def next_tier_data(*, program, standing: TierStanding) -> dict | None:
    """The answer's `next_tier` for a member standing at `standing`."""
    if standing.next_tier is None:
        return None
    remaining = tier_value_display(program=program, units=standing.remaining_units)
    return {
        "key": standing.next_tier.key,
        "name": standing.next_tier.name,
        "remaining": str(remaining) if not isinstance(remaining, int) else remaining,
    }
