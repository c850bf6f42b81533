"""Refunds: take back an order's points in proportion to the money returned, once per `refund_id`."""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum

from loyalty.errors import IdempotencyConflict, NotFound, ValidationFailed
from loyalty.models import Program
from members.choices import PointsStatus, TransactionKind, TransactionSource, TransactionStatus
from members.models import Member, Order, Refund, Transaction
from members.services.inputs import id_clean, money_clean
from members.services.ledger import member_lock, points_post

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefundResult:
    refund: Refund
    order: Order
    member: Member
    created: bool


def refund_record(*, program: Program, order_id: str, refund_id: str, amount: Decimal) -> RefundResult:
    """Reverse floor(points_awarded × refunded so far / subtotal) minus what earlier refunds reversed;
    a full refund reverses everything that is left. Points already spent are not clawed back below
    zero: the reversal is cut to the balance. The same `refund_id` again returns the first result; reused
    for another order or another amount it is an `idempotency_conflict`."""
    order_id = id_clean(order_id, field="order_id")
    refund_id = id_clean(refund_id, field="refund_id")
    amount = money_clean(amount, field="amount", allow_zero=False)
    order = Order.objects.filter(program=program, order_id=order_id).first()
    if order is None:
        raise NotFound(f"No order {order_id!r} in this program.", code="order_not_found")
    existing = _refund_find(program=program, refund_id=refund_id)
    if existing:
        return _replay(existing, order=order, amount=amount)
    try:
        with transaction.atomic():
            member = member_lock(order.member_id)
            order = Order.objects.select_for_update().get(pk=order.pk)
            refunded = order.refunded_amount + amount
            if refunded > order.subtotal:
                left = order.subtotal - order.refunded_amount
                raise ValidationFailed(
                    f"Refunds would exceed the order total: {left} is left to refund.",
                    code="refund_exceeds_order",
                    fields={"amount": [f"At most {left}."]},
                )
            refund = Refund.objects.create(program=program, order=order, refund_id=refund_id, amount=amount)
            to_reverse = _points_to_reverse(order, refunded)
            reversed_points = 0
            if to_reverse > 0:
                reversed_points = _reverse(
                    member=member, order=order, refund=refund, points=to_reverse, full=refunded == order.subtotal
                )
            refund.points_reversed = reversed_points
            Refund.objects.filter(pk=refund.pk).update(points_reversed=reversed_points)
            order.refunded_amount = refunded
            order.points_reversed += to_reverse
            Order.objects.filter(pk=order.pk).update(refunded_amount=refunded, points_reversed=order.points_reversed)
            member.lifetime_spend -= amount
            Member.objects.filter(pk=member.pk).update(lifetime_spend=member.lifetime_spend)
    except IntegrityError:
        existing = _refund_find(program=program, refund_id=refund_id)
        if existing is None:
            raise
        return _replay(existing, order=order, amount=amount)
    logger.info(
        "refund recorded program=%s order_id=%s refund_id=%s amount=%s points_reversed=%s",
        program.slug,
        order_id,
        refund_id,
        amount,
        reversed_points,
    )
    return RefundResult(refund, order, member, created=True)


def _points_to_reverse(order: Order, refunded: Decimal) -> int:
    """The order's share of points for `refunded` so far, floored, minus what was reversed already.
    Integer arithmetic in cents: an exact floor, whatever the size of the numbers."""
    if refunded >= order.subtotal:
        target = order.points_awarded
    else:
        target = order.points_awarded * _cents(refunded) // _cents(order.subtotal)
    return max(target - order.points_reversed, 0)


def _cents(amount: Decimal) -> int:
    return int(amount * 100)


def _reverse(*, member: Member, order: Order, refund: Refund, points: int, full: bool) -> int:
    common = dict(
        member=member,
        kind=TransactionKind.REFUND,
        source=TransactionSource.ORDER,
        idempotency_key=f"refund:{refund.refund_id}",
        description=f"Refund of order #{order.order_id}",
        order=order,
    )
    if order.points_status == PointsStatus.PENDING:
        pending = Transaction.objects.filter(order=order, status=TransactionStatus.PENDING)
        earn_row = pending.filter(points__gt=0).first()
        if earn_row is not None:
            # Pending points were never spendable: the refund is a pending row that activates (or is voided)
            # together with the order's points. A full refund voids them all.
            points_post(points=-points, pending_until=earn_row.activates_at, **common)
            if full:
                # The pending rows of a fully refunded order net to zero: voiding them leaves pending_points as is,
                # and nothing of the order is waiting any more.
                net = pending.aggregate(net=Sum("points"))["net"] or 0
                assert net == 0, f"pending rows of order {order.pk} net to {net}"
                pending.update(status=TransactionStatus.VOID)
                order.points_status = PointsStatus.ACTIVE
                Order.objects.filter(pk=order.pk).update(points_status=PointsStatus.ACTIVE)
            return points
    row = points_post(points=-points, allow_partial=True, **common)
    return -row.points if row else 0


def _replay(existing: Refund, *, order: Order, amount: Decimal) -> RefundResult:
    if existing.order_id != order.pk:
        raise IdempotencyConflict(f"Refund {existing.refund_id!r} belongs to another order.")
    if existing.amount != amount:
        raise IdempotencyConflict(
            f"Refund {existing.refund_id!r} was already recorded for {existing.amount}, not {amount}."
        )
    order.refresh_from_db()
    return RefundResult(existing, order, Member.objects.select_related("tier").get(pk=order.member_id), False)


def _refund_find(*, program: Program, refund_id: str) -> Refund | None:
    return Refund.objects.filter(program=program, refund_id=refund_id).first()
