"""The shop's billing events for a paid membership: `membership.started`, `.renewed`, `.cancelled`.

- started: the member gets a live membership (or their live one switches plan) and holds the plan's tier,
  locked, reason `membership`; the tier they held before is kept on the membership to come back to.
- renewed: `paid_until` moves on (to the given `paid_until`, or by one `period` from the later of now and
  the current `paid_until`). A renewal with no live membership starts one (a late payment after a lapse).
- cancelled: the member keeps the membership and its tier until `paid_until`; the `memberships_lapse` job
  ends it then.

Each event is recorded once per `event_id` (a unique constraint, not check-then-insert): a replay answers
with the first result and writes nothing; the same id with another body is `409 idempotency_conflict`.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.utils import timezone

from loyalty.errors import Conflict, IdempotencyConflict, NotFound, ValidationFailed
from loyalty.models import Program
from members.choices import TierChangeReason
from members.models import Member
from members.services.inputs import id_clean
from members.services.ledger import member_lock
from members.services.tiers import _tier_change
from memberships.choices import LIVE_STATUSES, MembershipEventType, MembershipStatus, PlanInterval
from memberships.models import Membership, MembershipEvent, MembershipPlan

logger = logging.getLogger(__name__)

_INTERVALS = {PlanInterval.MONTH: relativedelta(months=1), PlanInterval.YEAR: relativedelta(years=1)}


@dataclass(frozen=True)
class MembershipEventResult:
    event: MembershipEvent
    membership: Membership
    created: bool


def membership_event_record(
    *,
    program: Program,
    event_id: str,
    type: str,
    customer_id: str,
    plan: str,
    paid_until: datetime | None = None,
    period: str | None = None,
    amount: Decimal | None = None,
    currency: str | None = None,
    external_id: str = "",
    occurred_at: datetime | None = None,
) -> MembershipEventResult:
    """Apply one billing event to the member's membership, once per `event_id`. Refusals write nothing:
    unknown plan or member, a currency other than the program's, a `paid_until` not after the event,
    cancelling without a live membership."""
    event_id = id_clean(event_id, field="event_id")
    customer_id = id_clean(customer_id, field="customer_id")
    if type not in MembershipEventType.values:
        raise ValidationFailed(
            f"Unknown event type {type!r}.", code="unknown_event_type", fields={"type": ["Unknown."]}
        )
    fingerprint = _fingerprint(type, customer_id, plan, paid_until, period, amount, currency, external_id)
    first = _replay(program=program, event_id=event_id, fingerprint=fingerprint)
    if first:
        return first
    if currency is not None and currency != program.currency:
        raise ValidationFailed(
            f"This program counts in {program.currency}, not {currency}.",
            code="currency_mismatch",
            fields={"currency": [f"Must be {program.currency}."]},
        )
    at = occurred_at or timezone.now()
    plan_row = _plan_get(program=program, key=plan, starting=type != MembershipEventType.CANCELLED)
    if paid_until is not None and paid_until <= at:
        raise ValidationFailed(
            "paid_until must be after the event.", code="paid_until_past", fields={"paid_until": ["Must be later."]}
        )
    member = Member.objects.filter(program=program, customer_id=customer_id).only("pk").first()
    if member is None:
        raise NotFound(f"No member with customer_id {customer_id!r}.", code="member_not_found")
    try:
        with transaction.atomic():
            member = member_lock(member.pk)
            live = Membership.objects.select_related("plan").filter(member=member, status__in=LIVE_STATUSES).first()
            if type == MembershipEventType.CANCELLED:
                membership = _cancel(live=live, plan=plan_row, paid_until=paid_until, at=at)
            else:
                until = paid_until or _extend(live=live, plan=plan_row, period=period, at=at)
                membership = _start_or_renew(
                    member=member, live=live, plan=plan_row, paid_until=until, external_id=external_id, at=at
                )
            event = MembershipEvent.objects.create(
                program=program,
                membership=membership,
                event_id=event_id,
                type=type,
                amount=amount,
                paid_until=membership.paid_until,
                request_fingerprint=fingerprint,
                created_at=at,
            )
    except IntegrityError:
        first = _replay(program=program, event_id=event_id, fingerprint=fingerprint)
        if first is None:
            raise
        return first
    logger.info(
        "membership event program=%s event_id=%s type=%s customer_id=%s plan=%s paid_until=%s",
        program.slug,
        event_id,
        type,
        customer_id,
        plan_row.key,
        membership.paid_until.isoformat(),
    )
    return MembershipEventResult(event=event, membership=membership, created=True)


def _fingerprint(*body) -> str:
    """What the request asked for: a replay with the same `event_id` must ask the same."""
    return hashlib.sha256(json.dumps(body, default=str).encode()).hexdigest()


def _replay(*, program: Program, event_id: str, fingerprint: str) -> MembershipEventResult | None:
    first = (
        MembershipEvent.objects.select_related("membership__plan", "membership__member")
        .filter(program=program, event_id=event_id)
        .first()
    )
    if first is None:
        return None
    if first.request_fingerprint != fingerprint:
        raise IdempotencyConflict("This event_id was already used with another request.")
    return MembershipEventResult(event=first, membership=first.membership, created=False)


def _plan_get(*, program: Program, key: str, starting: bool) -> MembershipPlan:
    plan = MembershipPlan.objects.select_related("tier").filter(program=program, key=key).first()
    if plan is None or (starting and not plan.active):
        raise ValidationFailed(
            f"The program has no {'active ' if starting else ''}membership plan {key!r}.",
            code="unknown_plan",
            fields={"plan": ["Unknown plan."]},
        )
    return plan


def _extend(*, live: Membership | None, plan: MembershipPlan, period: str | None, at: datetime) -> datetime:
    """One period on from the later of now and the end of what is already paid."""
    start = max(live.paid_until, at) if live else at
    return start + _INTERVALS[period or plan.interval]


def _start_or_renew(
    *, member: Member, live: Membership | None, plan: MembershipPlan, paid_until: datetime, external_id: str, at
) -> Membership:
    if live is None:
        membership = Membership.objects.create(
            program_id=member.program_id,
            member=member,
            plan=plan,
            started_at=at,
            paid_until=paid_until,
            previous_tier=member.tier,
            previous_tier_locked=member.tier_locked,
            external_id=external_id,
        )
    else:
        membership = live
        membership.plan = plan
        membership.status = MembershipStatus.ACTIVE
        membership.cancelled_at = None
        membership.paid_until = paid_until
        membership.external_id = external_id or live.external_id
        membership.save(update_fields=["plan", "status", "cancelled_at", "paid_until", "external_id", "updated_at"])
    if member.tier_id != plan.tier_id or not member.tier_locked:
        _tier_change(member=member, to_tier=plan.tier, reason=TierChangeReason.MEMBERSHIP, at=at, locked=True)
    return membership


def _cancel(*, live: Membership | None, plan: MembershipPlan, paid_until: datetime | None, at) -> Membership:
    if live is None or live.plan_id != plan.pk:
        raise Conflict(
            f"The member has no live {plan.key!r} membership to cancel.", code="membership_not_found", status=409
        )
    if live.status == MembershipStatus.CANCELLED and paid_until is None:
        return live
    live.status = MembershipStatus.CANCELLED
    live.cancelled_at = live.cancelled_at or at
    if paid_until is not None:
        live.paid_until = paid_until
    live.save(update_fields=["status", "cancelled_at", "paid_until", "updated_at"])
    return live
