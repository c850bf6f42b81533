"""The referral lifecycle: a friend is attributed to a referrer (landing-page claim or sign-up with the
code), gets the friend reward, and converts with the first qualifying order, which grants the referrer
reward once; a refund inside the pending window cancels it.

Every transition locks the referral row (or the referrer's member row when creating one), so retries and
concurrent requests change a referral once; the unique constraints on the friend and the friend's
normalised email make sure a person is referred once."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from loyalty.errors import ApplicationError, NotFound, ValidationFailed
from members.choices import TransactionKind, TransactionSource, TransactionStatus
from members.models import Member, Order
from members.services.ledger import member_lock, points_post, transaction_find
from members.webhooks.events import referral_completed_announce
from referrals.choices import ReferralStatus
from referrals.models import Referral
from referrals.services.fraud import Friend, referral_block_find, referral_settings_get
from referrals.services.identity import email_normalize
from referrals.services.rewards import reward_spec, reward_voucher_issue
from referrals.services.signals import NO_SIGNALS, Signals
from rewards.services.redemptions import voucher_cancel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClaimResult:
    referral: Referral
    created: bool


def referral_claim(*, referrer: Member, email: str, signals: Signals = NO_SIGNALS, at=None) -> ClaimResult:
    """A friend typed an email on the referrer's landing page. An existing member with that email (who has not
    ordered) is attributed at once and gets the friend reward; anyone else is recorded as a claim, completed
    when they join with that email."""
    at = at or timezone.now()
    program = referrer.program
    if not program.referrals_enabled:
        raise NotFound("This referral link is not active.", code="referral_not_found")
    email = (email or "").strip()
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(
            "Enter a valid email address.", code="invalid_email", fields={"email": ["Enter a valid email address."]}
        ) from None
    member = Member.objects.filter(program=program, email__iexact=email).order_by("pk").first()
    friend = Friend(email=email, member=member, phone=member.phone if member else "", signals=signals)
    return _referral_create(referrer=referrer, friend=friend, at=at)


def referral_attach(
    *, friend: Member, referral_code: str = "", signals: Signals = NO_SIGNALS, order: Order | None = None, at=None
) -> Referral | None:
    """Attribute a member to a referrer: their landing-page claim (by normalised email) if there is one,
    else the `referral_code` they joined or ordered with. A member already referred keeps that referral."""
    at = at or timezone.now()
    program = friend.program
    if not program.referrals_enabled:
        return None
    existing = Referral.objects.filter(friend=friend).first()
    if existing:
        return existing
    claim = _claim_find(friend=friend)
    if claim is not None:
        return _claim_complete(claim=claim, friend=friend, signals=signals, order=order, at=at)
    code = (referral_code or "").strip().upper()
    if not code:
        return None
    referrer = Member.objects.select_related("program").filter(program=program, referral_code=code).first()
    if referrer is None:
        logger.info("referral code unknown program=%s code=%s customer_id=%s", program.slug, code, friend.customer_id)
        return None
    friend_info = Friend(email=friend.email, member=friend, phone=friend.phone, signals=signals, order=order)
    return _referral_create(referrer=referrer, friend=friend_info, at=at).referral


def _claim_find(*, friend: Member) -> Referral | None:
    normalized = email_normalize(friend.email)
    if not normalized:
        return None
    return Referral.objects.filter(
        program_id=friend.program_id, friend_email_normalized=normalized, friend__isnull=True
    ).first()


def _referral_create(*, referrer: Member, friend: Friend, at: datetime) -> ClaimResult:
    settings = referral_settings_get(program=referrer.program)
    email = friend.email or (friend.member.email if friend.member else "")
    try:
        with transaction.atomic():
            # The referrer's row lock serialises their referrals, so the monthly cap holds under concurrency.
            member_lock(referrer.pk)
            block = referral_block_find(settings=settings, referrer=referrer, friend=friend, at=at)
            status = ReferralStatus.JOINED if friend.member else ReferralStatus.CLAIMED
            referral = Referral(
                program_id=referrer.program_id,
                referrer=referrer,
                friend=friend.member,
                friend_email=email[:254],
                friend_email_normalized=email_normalize(email)[:254],
                status=ReferralStatus.BLOCKED if block else status,
                block_reason=block.reason if block else "",
                block_detail=block.detail[:255] if block else "",
                ip_address=friend.signals.ip_address or None,
                device_fingerprint=(friend.signals.device_fingerprint or "")[:128],
                created_at=at,
                joined_at=at if friend.member and not block else None,
            )
            with transaction.atomic():
                referral.save(force_insert=True)
            if not block and friend.member:
                _friend_join(referral=referral, friend=friend.member, at=at)
    except IntegrityError:
        existing = _referral_of(friend=friend)
        if existing is None:
            raise
        return ClaimResult(existing, created=False)
    _log(referral, "blocked" if block else "created")
    return ClaimResult(referral, created=True)


def _referral_of(*, friend: Friend) -> Referral | None:
    """The referral that already holds this friend (by member or by normalised email)."""
    match = Q()
    if friend.member is not None:
        match |= Q(friend=friend.member)
    email = email_normalize(friend.email or (friend.member.email if friend.member else ""))
    if email:
        match |= Q(friend_email_normalized=email)
    if not match:
        return None
    program_id = friend.member.program_id if friend.member else None
    rows = Referral.objects.filter(match)
    if program_id:
        rows = rows.filter(program_id=program_id)
    return rows.order_by("pk").first()


def _claim_complete(*, claim: Referral, friend: Member, signals: Signals, order: Order | None, at) -> Referral:
    """The friend who claimed on the landing page has become a member: check them again with what is known
    now (phone, devices, addresses, earlier orders) and, if allowed, give the friend reward."""
    settings = referral_settings_get(program=friend.program)
    referrer = Member.objects.select_related("program").get(pk=claim.referrer_id)
    try:
        with transaction.atomic():
            claim = Referral.objects.select_for_update().get(pk=claim.pk)
            if claim.friend_id is not None:
                return claim
            claim.friend = friend
            if claim.status == ReferralStatus.CLAIMED:
                info = Friend(email=friend.email, member=friend, phone=friend.phone, signals=signals, order=order)
                block = referral_block_find(settings=settings, referrer=referrer, friend=info, at=at, count_cap=False)
                if block:
                    claim.status, claim.block_reason, claim.block_detail = (
                        ReferralStatus.BLOCKED,
                        block.reason,
                        block.detail,
                    )
                else:
                    claim.status, claim.joined_at = ReferralStatus.JOINED, at
            with transaction.atomic():
                claim.save(update_fields=["friend", "status", "block_reason", "block_detail", "joined_at"])
            if claim.status == ReferralStatus.JOINED:
                _friend_join(referral=claim, friend=friend, at=at)
    except IntegrityError:
        # The member was attributed concurrently through another path; that referral stands.
        existing = Referral.objects.filter(friend=friend).first()
        if existing is None:
            raise
        return existing
    _log(claim, "blocked" if claim.status == ReferralStatus.BLOCKED else "claim completed")
    return claim


def _friend_join(*, referral: Referral, friend: Member, at: datetime) -> None:
    """Mark who referred the friend and give the friend reward (a voucher), inside the referral's transaction."""
    Member.objects.filter(pk=friend.pk).update(referred_by_id=referral.referrer_id)
    friend.referred_by_id = referral.referrer_id
    spec = reward_spec(friend.program.friend_reward)
    if not spec.is_voucher:
        return
    voucher = reward_voucher_issue(spec=spec, member=friend, at=at)
    referral.friend_voucher = voucher
    Referral.objects.filter(pk=referral.pk).update(friend_voucher=voucher)


def order_qualifies(*, order: Order) -> bool:
    """What is left of the order after refunds reaches the program's qualifying minimum (and is not nothing)."""
    kept = order.subtotal - order.refunded_amount
    return kept > 0 and kept >= order.program.referral_qualifying_min_subtotal


def referral_qualify(*, order: Order, at=None) -> Referral | None:
    """The friend's order is paid: if it is their first qualifying one, the referral converts and the referrer
    gets the reward, exactly once (the referral row lock and the ledger key `referral:<id>` both guard it).
    With a pending period the referrer's points stay pending as long as the order's points."""
    at = at or timezone.now()
    referral = Referral.objects.filter(friend_id=order.member_id, status=ReferralStatus.JOINED).first()
    if referral is None or not order_qualifies(order=order):
        return referral
    with transaction.atomic():
        referral = Referral.objects.select_for_update().select_related("program").get(pk=referral.pk)
        if referral.status != ReferralStatus.JOINED:
            return referral
        pending_until = _order_pending_until(order=order, at=at)
        spec = reward_spec(referral.program.referrer_reward)
        referrer = member_lock(referral.referrer_id)
        if spec.is_points:
            points_post(
                member=referrer,
                points=spec.points,
                kind=TransactionKind.REFERRAL,
                source=TransactionSource.REFERRAL,
                idempotency_key=f"referral:{referral.pk}",
                description="Referral: a friend's first order",
                pending_until=pending_until,
                at=at,
            )
            referral.referrer_points = spec.points
        elif spec.is_voucher:
            referral.referrer_voucher = reward_voucher_issue(spec=spec, member=referrer, at=at)
        referral.status = ReferralStatus.CONVERTED
        referral.qualifying_order = order
        referral.converted_at = at
        referral.reward_pending_until = pending_until
        referral.save(
            update_fields=[
                "status",
                "qualifying_order",
                "converted_at",
                "reward_pending_until",
                "referrer_points",
                "referrer_voucher",
            ]
        )
        referral_completed_announce(referral=referral, referrer=referrer, order=order)
    _log(referral, f"converted order_id={order.order_id} pending_until={pending_until}")
    return referral


def _order_pending_until(*, order: Order, at: datetime) -> datetime | None:
    """When the order's points become spendable (its refund window), or None if they already are."""
    days = order.program.pending_days
    if not days:
        return None
    earn = (
        order.transactions.filter(kind=TransactionKind.EARN, points__gt=0)
        .values_list("status", "activates_at")
        .order_by("pk")
        .first()
    )
    if earn is not None:
        status, activates_at = earn
        return activates_at if status == TransactionStatus.PENDING else None
    until = order.placed_at + timedelta(days=days)
    return until if until > at else None


def referral_cancel_for_refund(*, order: Order, at=None) -> Referral | None:
    """A refund of the qualifying order inside the pending window, leaving it below the qualifying minimum,
    cancels the referrer's reward: pending points are offset by a pending debit that activates (to nothing)
    with them, an unused voucher is cancelled. After the window the reward stands."""
    at = at or timezone.now()
    referral = Referral.objects.filter(qualifying_order=order, status=ReferralStatus.CONVERTED).first()
    if referral is None or order_qualifies(order=order):
        return referral
    with transaction.atomic():
        referral = Referral.objects.select_for_update().select_related("program").get(pk=referral.pk)
        if referral.status != ReferralStatus.CONVERTED:
            return referral
        if referral.reward_pending_until is None or referral.reward_pending_until <= at:
            _log(referral, f"refund after the pending window: reward stands order_id={order.order_id}")
            return referral
        if referral.referrer_points:
            row = transaction_find(program_id=referral.program_id, idempotency_key=f"referral:{referral.pk}")
            if row is None or row.status != TransactionStatus.PENDING:
                _log(referral, f"reward already active: stands order_id={order.order_id}")
                return referral
            points_post(
                member=member_lock(referral.referrer_id),
                points=-row.points,
                kind=TransactionKind.REFERRAL,
                source=TransactionSource.REFERRAL,
                idempotency_key=f"referral-cancel:{referral.pk}",
                description="Referral cancelled: the friend's order was refunded",
                pending_until=row.activates_at,
                at=at,
            )
        if referral.referrer_voucher_id:
            _voucher_cancel_quietly(referral=referral, at=at)
        referral.status = ReferralStatus.CANCELLED
        referral.cancelled_at = at
        referral.save(update_fields=["status", "cancelled_at"])
    _log(referral, f"cancelled by refund order_id={order.order_id}")
    return referral


def _voucher_cancel_quietly(*, referral: Referral, at: datetime) -> None:
    """A voucher already used at checkout cannot be taken back; that is logged, not an error of the refund."""
    try:
        voucher_cancel(voucher=referral.referrer_voucher, reason="referral order refunded", at=at)
    except ApplicationError as error:
        _log(referral, f"referrer voucher kept reason={error.code}")


def _log(referral: Referral, what: str) -> None:
    logger.info(
        "referral %s id=%s program_id=%s referrer_id=%s friend_id=%s status=%s block_reason=%s detail=%s",
        what,
        referral.pk,
        referral.program_id,
        referral.referrer_id,
        referral.friend_id,
        referral.status,
        referral.block_reason or "-",
        referral.block_detail or "-",
    )
