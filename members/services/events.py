"""Custom events (review posted, social follow…): points by the matching `custom_event` rule, within its limit."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from challenges.services.progress import challenges_progress_after_event
from loyalty.choices import RuleType
from loyalty.errors import NotFound
from loyalty.models import EarningRule, Program
from loyalty.periods import period_bounds
from loyalty.rules import live_rules
from members.choices import TransactionKind, TransactionSource
from members.models import Event, Member
from members.segments import segment_limited_filter
from members.services.inputs import id_clean
from members.services.ledger import member_lock, points_post
from members.services.tiers import tier_evaluate_after_earning

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventResult:
    event: Event
    member: Member
    created: bool


def event_record(
    *,
    program: Program,
    event_id: str,
    customer_id: str,
    type: str,
    properties: dict | None = None,
    occurred_at: datetime | None = None,
) -> EventResult:
    """Record an event once per `event_id` and award the first live rule for its type, unless the
    member already reached that rule's limit in the period containing `occurred_at`."""
    event_id = id_clean(event_id, field="event_id")
    customer_id = id_clean(customer_id, field="customer_id")
    type = id_clean(type, field="type", max_length=Event._meta.get_field("type").max_length)
    existing = Event.objects.select_related("member__tier").filter(program=program, event_id=event_id).first()
    if existing:
        return EventResult(existing, existing.member, created=False)
    member = Member.objects.filter(program=program, customer_id=customer_id).only("pk", "program_id").first()
    if member is None:
        raise NotFound(f"No member with customer_id {customer_id!r}.", code="member_not_found")
    occurred_at = occurred_at or timezone.now()
    rules = live_rules(program.earning_rules.all(), rule_type=RuleType.CUSTOM_EVENT, at=occurred_at)
    # A segment-limited rule only for its members (a query only when such a rule matches the type).
    rule = next(iter(segment_limited_filter([r for r in rules if r.event == type], member, at=occurred_at)), None)
    try:
        with transaction.atomic():
            member = member_lock(member.pk)
            event = Event.objects.create(
                program=program,
                member=member,
                event_id=event_id,
                type=type,
                properties=properties or {},
                occurred_at=occurred_at,
            )
            if rule and rule.points and _within_limit(member=member, rule=rule, at=occurred_at, tz=program.timezone):
                points_post(
                    member=member,
                    points=rule.points,
                    kind=TransactionKind.EARN,
                    source=TransactionSource.EVENT,
                    idempotency_key=f"event:{event_id}",
                    description=rule.name or type.replace("_", " ").capitalize(),
                    event=event,
                )
                event.rule = rule
                event.points_awarded = rule.points
                Event.objects.filter(pk=event.pk).update(rule=rule, points_awarded=rule.points)
                tier_evaluate_after_earning(member=member, at=timezone.now())
            challenges_progress_after_event(member=member, event=event)
    except IntegrityError:
        existing = Event.objects.select_related("member__tier").filter(program=program, event_id=event_id).first()
        if existing is None:
            raise
        return EventResult(existing, existing.member, created=False)
    logger.info(
        "event recorded program=%s event_id=%s type=%s customer_id=%s points=%s",
        program.slug,
        event_id,
        type,
        customer_id,
        event.points_awarded,
    )
    return EventResult(event, member, created=True)


def _within_limit(*, member: Member, rule: EarningRule, at: datetime, tz: str) -> bool:
    """Counted under the member lock, so concurrent events cannot both take the last slot."""
    if not rule.limit_count:
        return True
    awarded = Event.objects.filter(member=member, rule=rule, points_awarded__gt=0)
    bounds = period_bounds(rule.limit_period or "lifetime", at, tz)
    if bounds is not None:
        awarded = awarded.filter(occurred_at__gte=bounds[0], occurred_at__lt=bounds[1])
    return awarded.count() < rule.limit_count
