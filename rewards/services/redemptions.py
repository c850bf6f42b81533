"""Spending points on rewards. One transaction per redemption: lock the member, check the reward
(window, tier, per-member limit, balance), take one unit of stock with a conditional UPDATE, write the
redemption, debit the ledger and issue the voucher. Lock order is member row, then reward row, everywhere
(redeem and cancel), so concurrent redemptions never deadlock; any refusal rolls everything back.

Guarantees under concurrency (tested on PostgreSQL): stock never goes below zero (the UPDATE's
`stock > 0`), a balance never goes below zero (the member row lock + the ledger's check), a code is never
issued twice (the unique constraint on `Voucher.code`)."""

import hashlib
import json
import logging
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from psycopg.types.numeric import Int8

from loyalty.errors import IdempotencyConflict, InsufficientPoints, ValidationFailed
from members.choices import TransactionKind, TransactionSource
from members.models import Member
from members.prepared import fetch_one
from members.segments import segment_contains
from members.services.ledger import member_lock, points_post
from members.webhooks.events import reward_redeemed_announce
from rewards.choices import FULFILLED_TYPES, FulfilmentStatus, RedemptionStatus, VoucherStatus
from rewards.errors import (
    AlreadyFulfilled,
    AlreadyUsed,
    InvalidPointsAmount,
    LimitReached,
    MinSubtotalNotMet,
    NotVariableReward,
    OutOfStock,
    RewardExpired,
    RewardInactive,
    SegmentRequired,
    TierRequired,
    VariableReward,
    VoucherCancelled,
)
from rewards.models import Redemption, Reward, Voucher
from rewards.services.vouchers import member_codes_changed, voucher_issue

logger = logging.getLogger(__name__)


def reward_redeem(
    *, member: Member, reward: Reward, idempotency_key: str = "", at: datetime | None = None
) -> tuple[Redemption, bool]:
    """Spend the reward's points cost on it. Returns (redemption, created); a retry with the same
    `idempotency_key` returns the first redemption, the key reused for another reward is refused."""
    if reward.variable:
        raise VariableReward("This reward is a points-for-discount reward: choose the points at checkout.")
    return _redeem(
        member=member,
        reward=reward,
        points=reward.points_cost,
        value=reward.value,
        order_subtotal=None,
        idempotency_key=idempotency_key,
        at=at,
    )


def checkout_discount_value(*, reward: Reward, points: int, subtotal: Decimal) -> Decimal:
    """What `points` are worth off an order of `subtotal` on a variable reward: whole steps of
    `points_cost` points, each worth `value`, never more than the subtotal (nor `max_points`)."""
    if not reward.variable:
        raise NotVariableReward("This reward has a fixed points cost: redeem it without choosing points.")
    if reward.min_subtotal is not None and subtotal < reward.min_subtotal:
        raise MinSubtotalNotMet(
            f"This discount needs an order subtotal of at least {reward.min_subtotal}.",
            fields={"subtotal": f"At least {reward.min_subtotal}."},
        )
    step = reward.points_cost
    most = checkout_discount_max_points(reward=reward, subtotal=subtotal)
    if points <= 0 or points % step:
        raise InvalidPointsAmount(
            f"Choose the points in steps of {step}.", fields={"points": f"A positive multiple of {step}."}
        )
    if points > most:
        raise InvalidPointsAmount(
            f"At most {most} points can be used on this order.", fields={"points": f"At most {most}."}
        )
    return (reward.value * (points // step)).quantize(Decimal("0.01"))


def checkout_discount_max_points(*, reward: Reward, subtotal: Decimal, balance: int | None = None) -> int:
    """Most points one discount on an order of `subtotal` may use: the steps that fit in the subtotal,
    within `max_points` and (when given) the member's balance."""
    steps = int((subtotal / reward.value).to_integral_value(rounding=ROUND_DOWN)) if subtotal > 0 else 0
    most = steps * reward.points_cost
    for cap in (reward.max_points, balance):
        if cap is not None:
            most = min(most, cap - cap % reward.points_cost)
    return max(most, 0)


def checkout_discount_redeem(
    *,
    member: Member,
    reward: Reward,
    points: int,
    subtotal: Decimal,
    idempotency_key: str = "",
    at: datetime | None = None,
) -> tuple[Redemption, bool]:
    """Points for discount at checkout: spend `points` (in the merchant's steps) for a fixed-amount code
    on this order. Returns (redemption, created)."""
    value = checkout_discount_value(reward=reward, points=points, subtotal=subtotal)
    return _redeem(
        member=member,
        reward=reward,
        points=points,
        value=value,
        order_subtotal=subtotal,
        idempotency_key=idempotency_key,
        at=at,
    )


def _redeem(
    *,
    member: Member,
    reward: Reward,
    points: int,
    value: Decimal | None,
    order_subtotal: Decimal | None,
    idempotency_key: str,
    at: datetime | None,
) -> tuple[Redemption, bool]:
    at = at or timezone.now()
    fingerprint = hashlib.sha256(json.dumps([reward.pk, points, str(order_subtotal)]).encode()).hexdigest()
    try:
        with transaction.atomic():
            locked = member_lock(member.pk)
            if idempotency_key:
                first = _redemption_replay(member=locked, key=idempotency_key, fingerprint=fingerprint)
                if first:
                    return first, False
            # Re-read the reward inside the transaction: the merchant may have just switched it off.
            reward = Reward.objects.select_related("min_tier", "segment").get(pk=reward.pk)
            _check_window(reward=reward, at=at)
            _check_tier(member=locked, reward=reward)
            _check_segment(member=locked, reward=reward, at=at)
            _check_limit(member=locked, reward=reward)
            if points > locked.points_balance:
                raise InsufficientPoints(balance=locked.points_balance, requested=points)
            _take_stock(reward=reward)
            redemption = Redemption.objects.create(
                program_id=locked.program_id,
                member=locked,
                reward=reward,
                points_spent=points,
                value=value,
                order_subtotal=order_subtotal,
                fulfilment_status=FulfilmentStatus.PENDING
                if reward.type in FULFILLED_TYPES
                else FulfilmentStatus.NOT_REQUIRED,
                idempotency_key=idempotency_key,
                request_fingerprint=fingerprint,
                created_at=at,
            )
            points_post(
                member=locked,
                points=-points,
                kind=TransactionKind.REDEEM,
                source=TransactionSource.REDEMPTION,
                idempotency_key=f"redemption:{redemption.pk}",
                description=f"Redeemed: {reward.name}",
                at=at,
            )
            voucher = voucher_issue(
                member=locked,
                name=reward.name,
                type=reward.type,
                value=value,
                product_id=reward.product_id,
                min_subtotal=reward.min_subtotal,
                expires_at=at + timedelta(days=reward.code_expiry_days) if reward.code_expiry_days else None,
                reward=reward,
                redemption=redemption,
                at=at,
            )
            reward_redeemed_announce(member=locked, redemption=redemption, voucher=voucher)
    except IntegrityError:
        # A concurrent retry with the same Idempotency-Key committed first: answer with its redemption.
        first = idempotency_key and _redemption_replay(member=member, key=idempotency_key, fingerprint=fingerprint)
        if not first:
            raise
        return first, False
    logger.info(
        "reward redeemed program_id=%s customer_id=%s reward=%s points=%s redemption_id=%s",
        locked.program_id,
        locked.customer_id,
        reward.key,
        points,
        redemption.pk,
    )
    redemption.member = locked
    return redemption, True


def _redemption_replay(*, member: Member, key: str, fingerprint: str) -> Redemption | None:
    if not _redemption_key_used(program_id=member.program_id, key=key):
        return None  # the usual case: one prepared index lookup, not the replay's four-table read compiled by the ORM
    first = (
        Redemption.objects.select_related("reward", "voucher", "member__tier")
        .filter(program_id=member.program_id, idempotency_key=key)
        .first()
    )
    if first and (first.member_id != member.pk or first.request_fingerprint != fingerprint):
        raise IdempotencyConflict("This Idempotency-Key was already used with another request.")
    return first


# `<> ''` as the unique index's condition: a prepared statement's generic plan knows no value, so it can use that
# partial index only when the statement itself implies its condition.
_KEY_USED_SQL = (
    f"SELECT 1 FROM {Redemption._meta.db_table}"
    " WHERE program_id = %s AND idempotency_key = %s AND idempotency_key <> ''"
)


def _redemption_key_used(*, program_id: int, key: str) -> bool:
    return (
        fetch_one(_KEY_USED_SQL, [Int8(program_id) if connection.vendor == "postgresql" else program_id, key])
        is not None
    )


def _check_window(*, reward: Reward, at: datetime) -> None:
    if reward.ends_at and at >= reward.ends_at:
        raise RewardExpired("This reward is no longer available.")
    if not reward.is_live(at):
        raise RewardInactive("This reward is not available.")


def _check_tier(*, member: Member, reward: Reward) -> None:
    # Rank by tier position (higher is better); invite-only tiers count by their position too.
    if reward.min_tier_id is None:
        return
    if member.tier is None or member.tier.position < reward.min_tier.position:
        raise TierRequired(
            f"This reward needs the {reward.min_tier.name} tier or higher.",
            fields={"min_tier": reward.min_tier.key},
        )


def _check_segment(*, member: Member, reward: Reward, at: datetime) -> None:
    # One query, only for a segment-limited reward.
    if reward.segment_id is not None and not segment_contains(reward.segment, member, at=at):
        raise SegmentRequired(
            f"This reward is for members of {reward.segment.name} only.", fields={"segment": reward.segment.key}
        )


def _check_limit(*, member: Member, reward: Reward) -> None:
    # Counted under the member row lock, so two concurrent redemptions of one member cannot both pass.
    if reward.limit_per_member is None:
        return
    taken = Redemption.objects.filter(member=member, reward=reward, status=RedemptionStatus.COMPLETED).count()
    if taken >= reward.limit_per_member:
        raise LimitReached(f"This reward can be redeemed {reward.limit_per_member} time(s) per member.")


# Sent (program_id=…) once the transaction that took or gave back a unit of a reward's stock commits: every
# shopper's widget answer shows the stock left (storefront/catalog.py moves the program's catalog token). A queryset
# `update()` sends no `post_save`; after the commit, so that no lock is held and the token moves only once the new
# stock is visible.
stock_changed = Signal()


def _stock_changed(*, program_id: int) -> None:
    transaction.on_commit(lambda: stock_changed.send(sender=Reward, program_id=program_id))


def _take_stock(*, reward: Reward) -> None:
    if reward.stock is None:
        return
    if not Reward.objects.filter(pk=reward.pk, stock__gt=0).update(stock=F("stock") - 1):
        raise OutOfStock("This reward is out of stock.")
    _stock_changed(program_id=reward.program_id)


def redemption_cancel(
    *, redemption: Redemption, acting_user=None, reason: str = "", at: datetime | None = None
) -> Redemption:
    """The merchant cancels a redemption whose code was not used: the code is cancelled, the points
    come back with a new ledger row (`redemption-cancel:<id>`, never an edit of the debit) and the unit
    goes back into stock. Refused when the code was used or the item already shipped."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = member_lock(redemption.member_id)
        redemption = Redemption.objects.select_for_update(of=("self",)).select_related("reward").get(pk=redemption.pk)
        voucher = Voucher.objects.select_for_update().filter(redemption=redemption).first()
        if redemption.status == RedemptionStatus.CANCELLED:
            raise VoucherCancelled("This redemption was already cancelled.")
        if voucher and voucher.status == VoucherStatus.USED:
            raise AlreadyUsed("The code was already used at checkout: the redemption cannot be cancelled.")
        if redemption.fulfilment_status in (FulfilmentStatus.SHIPPED, FulfilmentStatus.FULFILLED):
            raise AlreadyFulfilled("The reward was already sent: the redemption cannot be cancelled.")
        if voucher:
            voucher.status, voucher.cancelled_at = VoucherStatus.CANCELLED, at
            voucher.save(update_fields=["status", "cancelled_at"])
        redemption.status, redemption.cancelled_at, redemption.cancelled_by = (
            RedemptionStatus.CANCELLED,
            at,
            acting_user,
        )
        redemption.save(update_fields=["status", "cancelled_at", "cancelled_by"])
        points_post(
            member=locked,
            points=redemption.points_spent,
            kind=TransactionKind.REDEEM,
            source=TransactionSource.REDEMPTION,
            idempotency_key=f"redemption-cancel:{redemption.pk}",
            description=f"Returned: {redemption.reward.name} cancelled" + (f" ({reason})" if reason else ""),
            acting_user=acting_user,
            at=at,
        )
        if redemption.reward.stock is not None:
            Reward.objects.filter(pk=redemption.reward_id).update(stock=F("stock") + 1)
            _stock_changed(program_id=redemption.program_id)
    logger.info(
        "redemption cancelled program_id=%s redemption_id=%s points_returned=%s by=%s reason=%r",
        redemption.program_id,
        redemption.pk,
        redemption.points_spent,
        acting_user or "api",
        reason,
    )
    redemption.member = locked
    return redemption


def voucher_cancel(*, voucher: Voucher, acting_user=None, reason: str = "", at: datetime | None = None) -> Voucher:
    """Cancel a code. A redemption's code gives the points back (`redemption_cancel`); a code given
    without points (a referral reward) is only cancelled."""
    at = at or timezone.now()
    if voucher.redemption_id:
        redemption_cancel(redemption=voucher.redemption, acting_user=acting_user, reason=reason, at=at)
    else:
        updated = Voucher.objects.filter(
            pk=voucher.pk, status__in=(VoucherStatus.ACTIVE, VoucherStatus.EXPIRED)
        ).update(status=VoucherStatus.CANCELLED, cancelled_at=at)
        if not updated:
            voucher.refresh_from_db(fields=["status"])
            if voucher.status == VoucherStatus.USED:
                raise AlreadyUsed("This code was already used.")
            raise VoucherCancelled("This code was already cancelled.")
        member_codes_changed(member_id=voucher.member_id, at=at)
        logger.info("voucher cancelled program_id=%s code=%s by=%s", voucher.program_id, voucher.code, acting_user)
    voucher.refresh_from_db(fields=["status", "cancelled_at"])
    return voucher


def redemption_fulfilment_update(
    *, redemption: Redemption, status: str, note: str | None = None, acting_user=None, at: datetime | None = None
) -> Redemption:
    """The merchant moves a physical item or experience along (pending → in progress → shipped → fulfilled)."""
    if status == FulfilmentStatus.NOT_REQUIRED:
        raise ValidationFailed("Choose a fulfilment status.", fields={"fulfilment_status": "Required."})
    at = at or timezone.now()
    with transaction.atomic():
        # Locked so a cancellation racing this update cannot leave a cancelled redemption "shipped".
        redemption = Redemption.objects.select_for_update(of=("self",)).select_related("reward").get(pk=redemption.pk)
        if redemption.reward.type not in FULFILLED_TYPES:
            raise ValidationFailed("Only physical items and experiences are fulfilled by the merchant.")
        if redemption.status == RedemptionStatus.CANCELLED:
            raise VoucherCancelled("This redemption was cancelled.")
        redemption.fulfilment_status, redemption.fulfilment_updated_at = status, at
        if note is not None:
            redemption.fulfilment_note = note
        redemption.save(update_fields=["fulfilment_status", "fulfilment_updated_at", "fulfilment_note"])
    logger.info(
        "redemption fulfilment updated program_id=%s redemption_id=%s status=%s by=%s",
        redemption.program_id,
        redemption.pk,
        status,
        acting_user,
    )
    return redemption
