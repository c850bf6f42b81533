"""The `memberships_lapse` job: live memberships whose paid period ended before `as_of` lapse, and their
members leave the plan's tier.

Set-based, in chunks of memberships: per chunk one transaction locks the members (primary-key order, the
lock every billing event and ledger post takes first, so a renewal committing meanwhile is seen), marks the
memberships lapsed with one UPDATE, and moves the members out of the plan's tier:
- back to the tier they held by hand before (a locked, invite-only tier): one UPDATE per tier;
- otherwise to the tier their activity earns, with the tier job's own statement (`tiers_settle_members`).
Both record a `TierChange` with reason `membership`. A member whose tier was changed by hand while paid keeps it.
Each lapsed membership queues one "membership ended" email (key `membership_ended:{id}`). Running the job
again for the same `as_of` finds nothing to do.
"""

import logging
from collections import defaultdict
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from loyalty.models import Program
from members.choices import TierChangeReason
from members.job_models import NotificationKind
from members.models import Member, TierChange
from members.notifications.queue import notifications_create
from members.services.job_runs import job_progress
from members.services.tier_recalculation import tiers_settle_members
from memberships.choices import LIVE_STATUSES, MembershipStatus
from memberships.models import Membership

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1000
_DUE_FIELDS = (
    "pk",
    "member_id",
    "program_id",
    "previous_tier_id",
    "previous_tier_locked",
    "plan__tier_id",
    "plan__name",
)


def memberships_lapse(as_of: datetime, *, chunk_size: int = CHUNK_SIZE) -> int:
    """Lapse every live membership paid until before `as_of`. Returns the number lapsed."""
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    lapsed = 0
    while True:
        with transaction.atomic():
            count = _lapse_chunk(as_of=as_of, size=chunk_size)
        if not count:
            break
        job_progress(rows=count)
        lapsed += count
    logger.info("memberships lapsed as_of=%s count=%s", as_of.isoformat(), lapsed)
    return lapsed


def _due(as_of: datetime):
    return Membership.objects.filter(status__in=LIVE_STATUSES, paid_until__lt=as_of)


def _lapse_chunk(*, as_of: datetime, size: int) -> int:
    candidates = list(_due(as_of).order_by("member_id").values_list("member_id", flat=True)[:size])
    if not candidates:
        return 0
    held = dict(
        Member.objects.select_for_update(of=("self",))
        .filter(pk__in=candidates, tier_locked=True)
        .order_by("pk")
        .values_list("pk", "tier_id")
    )
    # Read again under the member locks: a renewal may have committed since.
    due = [dict(zip(_DUE_FIELDS, row, strict=True)) for row in _due(as_of).filter(member_id__in=candidates)
           .values_list(*_DUE_FIELDS)]  # fmt: skip
    Membership.objects.filter(pk__in=[row["pk"] for row in due]).update(status=MembershipStatus.LAPSED, lapsed_at=as_of)
    # Only members still in the plan's tier leave it (a tier set by hand meanwhile stays).
    leaving = [row for row in due if held.get(row["member_id"]) == row["plan__tier_id"]]
    _restore_hand_set_tiers([row for row in leaving if row["previous_tier_locked"]], at=as_of)
    released = [row["member_id"] for row in leaving if not row["previous_tier_locked"]]
    Member.objects.filter(pk__in=released).update(tier_locked=False, updated_at=timezone.now())
    tiers_settle_members(member_ids=released, at=as_of, reason=TierChangeReason.MEMBERSHIP)
    _notify(due)
    return len(due)


def _restore_hand_set_tiers(rows: list[dict], *, at: datetime) -> None:
    """One UPDATE per (plan tier, previous tier) pair, with the history rows in one INSERT."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for row in rows:
        groups[(row["plan__tier_id"], row["previous_tier_id"])].append(row["member_id"])
    for (_plan_tier_id, previous_tier_id), member_ids in groups.items():
        Member.objects.filter(pk__in=member_ids).update(
            tier_id=previous_tier_id, tier_achieved_at=at, updated_at=timezone.now()
        )
    TierChange.objects.bulk_create(
        TierChange(
            member_id=row["member_id"],
            from_tier_id=row["plan__tier_id"],
            to_tier_id=row["previous_tier_id"],
            reason=TierChangeReason.MEMBERSHIP,
            created_at=at,
        )
        for row in rows
    )


def _notify(due: list[dict]) -> None:
    tiers = dict(Member.objects.filter(pk__in=[row["member_id"] for row in due]).values_list("pk", "tier__name"))
    facts = defaultdict(list)
    for row in due:
        context = {"plan": row["plan__name"], "tier": tiers.get(row["member_id"]) or ""}
        facts[row["program_id"]].append((row["member_id"], f"membership_ended:{row['pk']}", context))
    for program in Program.objects.filter(pk__in=facts):
        notifications_create(program=program, kind=NotificationKind.MEMBERSHIP_ENDED, facts=facts[program.pk])
