"""Challenge progress from what members do: paid orders (counted or summed by `placed_at`) and events (counted
by `occurred_at`, matching type). Called once per order (`referrals.services.flows.order_paid`) and once per
event (`members.services.events.event_record`, inside its transaction).

Progress is *recounted* from the member's orders or events in each challenge's window rather than incremented,
so a retried order or event never counts twice. The recount runs with the member row locked: two orders or
events of one member are counted one after the other, and the later count sees the earlier one's rows.
Cost: no query when the program has no active challenge covering the order or event (cached list); otherwise
lock + read progress + one aggregate + one upsert, and a few more per completion."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from challenges.choices import ChallengeMetric
from challenges.models import Challenge, ChallengeProgress
from challenges.services.completion import challenge_complete
from challenges.services.live import challenges_active, challenges_for
from members.models import Event, Member, Order
from members.services.ledger import member_lock

ORDER_METRICS = (ChallengeMetric.ORDERS, ChallengeMetric.SPEND)


def challenges_progress_after_order(*, member: Member, order: Order) -> list[Challenge]:
    """Count a paid order toward the member's challenges. Returns the challenges it completed. Runs in its own
    transaction after the order's; the counters of `member` (the caller's answer) follow any points awarded."""
    challenges = [
        c
        for c in challenges_active(program_id=member.program_id)
        if c.metric in ORDER_METRICS and c.covers(order.placed_at)
    ]
    challenges = challenges_for(challenges, member) if challenges else []
    if not challenges:
        return []
    with transaction.atomic():
        locked = member_lock(member.pk)
        completed = _progress_update(member=locked, challenges=challenges)
    if completed:
        _counters_copy(source=locked, target=member)
    return completed


def challenges_progress_after_event(*, member: Member, event: Event) -> list[Challenge]:
    """Count an event toward the member's challenges of its type. Call inside the event's transaction with
    `member` from `member_lock` (the event service holds it). Returns the challenges it completed."""
    challenges = [
        c
        for c in challenges_active(program_id=member.program_id)
        if c.metric == ChallengeMetric.EVENT and c.event_type == event.type and c.covers(event.occurred_at)
    ]
    challenges = challenges_for(challenges, member) if challenges else []
    if not challenges:
        return []
    return _progress_update(member=member, challenges=challenges)


def _progress_update(*, member: Member, challenges: list[Challenge]) -> list[Challenge]:
    done = set(
        ChallengeProgress.objects.filter(
            member_id=member.pk, challenge__in=challenges, completed_at__isnull=False
        ).values_list("challenge_id", flat=True)
    )
    challenges = [c for c in challenges if c.pk not in done]
    if not challenges:
        return []
    values = _recount(member=member, challenges=challenges)
    now = timezone.now()
    ChallengeProgress.objects.bulk_create(
        [
            ChallengeProgress(
                program_id=member.program_id, member=member, challenge=c, value=values[c.pk], updated_at=now
            )
            for c in challenges
        ],
        update_conflicts=True,
        unique_fields=["member", "challenge"],
        update_fields=["value", "updated_at"],
    )
    return [
        c for c in challenges if values[c.pk] >= c.target and challenge_complete(member=member, challenge=c, at=now)
    ]


def _window(challenge: Challenge, field: str) -> Q:
    window = Q()
    if challenge.starts_at:
        window &= Q(**{f"{field}__gte": challenge.starts_at})
    if challenge.ends_at:
        window &= Q(**{f"{field}__lt": challenge.ends_at})
    return window


def _recount(*, member: Member, challenges: list[Challenge]) -> dict[int, Decimal]:
    """Each challenge's value from the member's rows in its window: one aggregate query per source."""
    order_sums, event_counts = {}, {}
    for c in challenges:
        alias = f"c{c.pk}"
        if c.metric == ChallengeMetric.ORDERS:
            order_sums[alias] = Count("pk", filter=_window(c, "placed_at"))
        elif c.metric == ChallengeMetric.SPEND:
            order_sums[alias] = Sum("subtotal", filter=_window(c, "placed_at"), default=Decimal("0"))
        else:
            event_counts[alias] = Count("pk", filter=_window(c, "occurred_at") & Q(type=c.event_type))
    totals = {}
    if order_sums:
        totals |= Order.objects.filter(member_id=member.pk).aggregate(**order_sums)
    if event_counts:
        types = {c.event_type for c in challenges if c.metric == ChallengeMetric.EVENT}
        totals |= Event.objects.filter(member_id=member.pk, type__in=types).aggregate(**event_counts)
    return {c.pk: Decimal(totals[f"c{c.pk}"] or 0) for c in challenges}


def _counters_copy(*, source: Member, target: Member) -> None:
    for field in ("points_balance", "pending_points", "lifetime_points", "last_activity_at", "tier_id"):
        setattr(target, field, getattr(source, field))
    if target.tier_id != getattr(target.tier, "pk", None):
        target.tier = source.tier
