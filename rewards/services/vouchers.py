"""Voucher codes a shop honours at checkout: issue, check, consume once, expire, cancel (without points:
a redemption's voucher is cancelled through `redemptions.redemption_cancel`, which returns the points)."""

import logging
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from members.models import Member
from rewards.choices import VoucherSource, VoucherStatus
from rewards.codes import voucher_code_generate
from rewards.errors import AlreadyUsed, MinSubtotalNotMet, VoucherCancelled, VoucherExpired
from rewards.models import Redemption, Reward, Voucher

logger = logging.getLogger(__name__)

CODE_ATTEMPTS = 5
EXPIRE_CHUNK = 1000


def voucher_issue(
    *,
    member: Member,
    name: str,
    type: str,
    value: Decimal | None = None,
    product_id: str = "",
    min_subtotal: Decimal | None = None,
    expires_at: datetime | None = None,
    reward: Reward | None = None,
    redemption: Redemption | None = None,
    source: str = VoucherSource.REDEMPTION,
    at: datetime | None = None,
) -> Voucher:
    """Write one voucher with a fresh code. Runs inside the caller's transaction (a redemption's, a
    referral's). The unique constraint on `code` decides uniqueness; on the (astronomically rare)
    collision the insert is retried with another code inside a savepoint."""
    for _attempt in range(CODE_ATTEMPTS):
        voucher = Voucher(
            program_id=member.program_id,
            member=member,
            redemption=redemption,
            reward=reward,
            source=source,
            code=voucher_code_generate(),
            name=name[:200],
            type=type,
            value=value,
            product_id=product_id,
            min_subtotal=min_subtotal,
            expires_at=expires_at,
            created_at=at or timezone.now(),
        )
        try:
            with transaction.atomic():
                voucher.save(force_insert=True)
            if redemption is None:  # a redemption's ledger debit moves `updated_at` in the same transaction
                member_codes_changed(member_id=member.pk, at=voucher.created_at)
            return voucher
        except IntegrityError:
            if not Voucher.objects.filter(code=voucher.code).exists():
                raise
            logger.warning("voucher code collision program_id=%s, drawing another", member.program_id)
    raise RuntimeError(f"no free voucher code after {CODE_ATTEMPTS} attempts")


def voucher_problem(*, voucher: Voucher, at: datetime, subtotal: Decimal | None = None):
    """Why the code cannot be used now (an error to raise), or None when it can."""
    status = voucher.status_at(at)
    if status == VoucherStatus.USED:
        return AlreadyUsed(
            "This code was already used.",
            fields={"used_at": voucher.used_at.isoformat() if voucher.used_at else None},
        )
    if status == VoucherStatus.CANCELLED:
        return VoucherCancelled("This code was cancelled by the shop.")
    if status == VoucherStatus.EXPIRED:
        return VoucherExpired("This code has expired.")
    if subtotal is not None and voucher.min_subtotal is not None and subtotal < voucher.min_subtotal:
        return MinSubtotalNotMet(
            f"This code needs an order subtotal of at least {voucher.min_subtotal}.",
            fields={"subtotal": f"At least {voucher.min_subtotal}."},
        )
    return None


def voucher_consume(
    *, voucher: Voucher, order_id: str = "", subtotal: Decimal | None = None, at: datetime | None = None
) -> Voucher:
    """Mark the code used, once. The conditional UPDATE is the guard: of two concurrent checkouts with
    the same code exactly one updates the row, the other is refused with `already_used`."""
    at = at or timezone.now()
    problem = voucher_problem(voucher=voucher, at=at, subtotal=subtotal)
    if problem:
        raise problem
    usable = Q(status=VoucherStatus.ACTIVE) & (Q(expires_at__isnull=True) | Q(expires_at__gt=at))
    updated = Voucher.objects.filter(usable, pk=voucher.pk).update(
        status=VoucherStatus.USED, used_at=at, used_order_id=order_id
    )
    voucher.refresh_from_db(fields=["status", "used_at", "used_order_id"])
    if not updated:
        raise voucher_problem(voucher=voucher, at=at) or AlreadyUsed("This code was already used.")
    member_codes_changed(member_id=voucher.member_id, at=at)
    logger.info(
        "voucher consumed program_id=%s code=%s member_id=%s order_id=%s",
        voucher.program_id,
        voucher.code,
        voucher.member_id,
        order_id or "-",
    )
    return voucher


def member_codes_changed(*, member_id: int, at: datetime) -> None:
    """Move the member's `updated_at`: the widget keeps each member's `me` answer, which lists their active codes,
    under a version read from the member row (storefront/widget/selectors.py), so a code issued, used or cancelled
    must show there. (A code expiring needs nothing: the cached answer ends at its `expires_at` already.)"""
    Member.objects.filter(pk=member_id).update(updated_at=at)


def voucher_expire_due(as_of: datetime) -> int:
    """Scheduled job `expire_vouchers`: mark every active code past its expiry as expired, in primary-key
    chunks. Validation never waits for it (an overdue code is refused at once); the job keeps the stored
    status true for the admin and reports. Idempotent for the same `as_of`."""
    due = Voucher.objects.filter(status=VoucherStatus.ACTIVE, expires_at__lte=as_of).order_by("pk")
    touched, last_pk = 0, 0
    while True:
        ids = list(due.filter(pk__gt=last_pk).values_list("pk", flat=True)[:EXPIRE_CHUNK])
        if not ids:
            break
        touched += Voucher.objects.filter(pk__in=ids, status=VoucherStatus.ACTIVE).update(status=VoucherStatus.EXPIRED)
        last_pk = ids[-1]
    logger.info("vouchers expired as_of=%s rows=%s", as_of.isoformat(), touched)
    return touched
