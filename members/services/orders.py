"""Order ingestion: one paid order → points, exactly once per `order_id`."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from loyalty.errors import NotFound, ValidationFailed
from loyalty.models import EarningRule, Program
from loyalty.rules import order_points
from members.choices import PointsStatus, TransactionKind, TransactionSource
from members.models import Member, Order
from members.services.inputs import id_clean, money_clean
from members.services.ledger import member_lock, points_post
from members.services.members import member_get_or_create
from members.services.tiers import tier_evaluate_after_earning

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrderResult:
    order: Order
    member: Member
    created: bool


def order_record(
    *,
    program: Program,
    order_id: str,
    customer_id: str,
    subtotal: Decimal,
    currency: str,
    email: str = "",
    placed_at: datetime | None = None,
    referral_code: str = "",
    items: list | None = None,
    rules: list[EarningRule] | None = None,
) -> OrderResult:
    """Record a paid order and award its points. The same `order_id` again returns the first
    result and writes nothing, also when the retries arrive at the same instant. With `pending_days`
    the points stay pending until `placed_at` + that many days (the refund window of the order).
    `rules`: the program's earning rules when the caller already has them (a batch reads them once)."""
    order_id = id_clean(order_id, field="order_id")
    customer_id = id_clean(customer_id, field="customer_id")
    subtotal = money_clean(subtotal, field="subtotal")
    existing = _order_find(program=program, order_id=order_id)
    if existing:
        return OrderResult(existing, existing.member, created=False)
    if currency.upper() != program.currency:
        raise ValidationFailed(
            f"This program counts in {program.currency}, not {currency}.",
            code="currency_mismatch",
            fields={"currency": [f"Must be {program.currency}."]},
        )
    placed_at = placed_at or timezone.now()
    try:
        with transaction.atomic():
            member = _order_member(program=program, customer_id=customer_id, email=email)
            member = member_lock(member.pk)
            order = Order.objects.create(
                program=program,
                member=member,
                order_id=order_id,
                subtotal=subtotal,
                currency=program.currency,
                placed_at=placed_at,
                referral_code=referral_code or "",
                items=items or [],
            )
            points = order_points(
                program=program,
                rules=program.earning_rules.all() if rules is None else rules,
                subtotal=subtotal,
                placed_at=placed_at,
                tier_multiplier=member.tier.multiplier if member.tier else Decimal("1"),
            )
            pending_until = _pending_until(program=program, placed_at=placed_at)
            if points > 0:
                points_post(
                    member=member,
                    points=points,
                    kind=TransactionKind.EARN,
                    source=TransactionSource.ORDER,
                    idempotency_key=f"order:{order_id}",
                    description=f"Order #{order_id}",
                    pending_until=pending_until,
                    order=order,
                )
            order.points_awarded = points
            order.points_status = PointsStatus.PENDING if pending_until and points > 0 else PointsStatus.ACTIVE
            Order.objects.filter(pk=order.pk).update(
                points_awarded=order.points_awarded, points_status=order.points_status
            )
            Member.objects.filter(pk=member.pk).update(
                lifetime_spend=F("lifetime_spend") + subtotal, orders_count=F("orders_count") + 1
            )
            member.lifetime_spend += subtotal
            member.orders_count += 1
            tier_evaluate_after_earning(member=member, at=timezone.now())
    except IntegrityError:
        existing = _order_find(program=program, order_id=order_id)
        if existing is None:
            raise
        return OrderResult(existing, existing.member, created=False)
    logger.info(
        "order recorded program=%s order_id=%s customer_id=%s subtotal=%s points=%s status=%s",
        program.slug,
        order_id,
        customer_id,
        subtotal,
        points,
        order.points_status,
    )
    return OrderResult(order, member, created=True)


def _pending_until(*, program: Program, placed_at: datetime) -> datetime | None:
    """When the order's points become spendable, or None if they already are (no pending period,
    or an order old enough that its pending period is over)."""
    if not program.pending_days:
        return None
    until = placed_at + timedelta(days=program.pending_days)
    return until if until > timezone.now() else None


def _order_find(*, program: Program, order_id: str) -> Order | None:
    return Order.objects.select_related("member__tier").filter(program=program, order_id=order_id).first()


def _order_member(*, program: Program, customer_id: str, email: str) -> Member:
    if email:
        member, _created = member_get_or_create(program=program, customer_id=customer_id, defaults={"email": email})
        return member
    member = Member.objects.filter(program=program, customer_id=customer_id).first()
    if member is None:
        raise NotFound(
            f"No member with customer_id {customer_id!r}; send an email to create one.", code="member_not_found"
        )
    return member
