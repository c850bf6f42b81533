"""Fraud checks of one referral attempt. Each check is a setting of the program (`ReferralSettings`);
the first that fails names the reason the referral is blocked."""

from dataclasses import dataclass
from datetime import datetime

from loyalty.choices import LimitPeriod
from loyalty.models import Program
from loyalty.periods import period_bounds
from members.models import Member, Order
from referrals.choices import BlockReason, ReferralStatus, SignalKind
from referrals.models import Referral, ReferralSettings
from referrals.services.identity import email_normalize, phone_normalize
from referrals.services.signals import NO_SIGNALS, Signals, signals_shared


@dataclass(frozen=True)
class Block:
    reason: str
    detail: str


@dataclass(frozen=True)
class Friend:
    """Who is being referred: a member, or only an email typed on the landing page."""

    email: str = ""
    member: Member | None = None
    phone: str = ""
    signals: Signals = NO_SIGNALS
    # The order that brought the referral code, when attribution happens at checkout: earlier orders
    # make the friend an existing customer, this one does not.
    order: Order | None = None


def referral_settings_get(*, program: Program) -> ReferralSettings:
    settings, _created = ReferralSettings.objects.get_or_create(program=program)
    return settings


def referral_block_find(
    *, settings: ReferralSettings, referrer: Member, friend: Friend, at: datetime, count_cap: bool = True
) -> Block | None:
    """The first fraud check the referral fails, or None. `count_cap=False` when completing a claim that
    was already counted against the referrer's cap."""
    checks = []
    if settings.block_self_referral:
        checks.append(_self_referral)
    checks.append(_shared_signals)
    if settings.new_customers_only:
        checks.append(_existing_customer)
    if count_cap and settings.monthly_cap_per_referrer is not None:
        checks.append(_monthly_cap)
    for check in checks:
        block = check(settings=settings, referrer=referrer, friend=friend, at=at)
        if block:
            return block
    return None


def _self_referral(*, settings, referrer: Member, friend: Friend, at) -> Block | None:
    if friend.member is not None and friend.member.pk == referrer.pk:
        return Block(BlockReason.SELF_REFERRAL, "the friend is the referrer")
    friend_email = email_normalize(friend.email or (friend.member.email if friend.member else ""))
    if friend_email and friend_email == email_normalize(referrer.email):
        return Block(BlockReason.SAME_EMAIL, f"normalised email {friend_email} is the referrer's")
    friend_phone = phone_normalize(friend.phone or (friend.member.phone if friend.member else ""))
    if friend_phone and friend_phone == phone_normalize(referrer.phone):
        return Block(BlockReason.SAME_PHONE, "the phone number is the referrer's")
    return None


def _shared_signals(*, settings: ReferralSettings, referrer: Member, friend: Friend, at) -> Block | None:
    wanted = {
        SignalKind.ADDRESS: (settings.block_self_referral, BlockReason.SAME_ADDRESS, "same shipping address"),
        SignalKind.IP: (settings.block_same_ip, BlockReason.SAME_IP, "same IP address"),
        SignalKind.DEVICE: (settings.block_same_device, BlockReason.SAME_DEVICE, "same device fingerprint"),
    }
    if not any(enabled for enabled, _reason, _detail in wanted.values()):
        return None
    shared = signals_shared(referrer=referrer, friend=friend.member, signals=friend.signals)
    for kind, (enabled, reason, detail) in wanted.items():
        if enabled and kind in shared:
            return Block(reason, f"{detail} as the referrer")
    return None


def _existing_customer(*, settings, referrer, friend: Friend, at) -> Block | None:
    if friend.member is not None:
        orders = Order.objects.filter(member=friend.member)
        if friend.order is not None:
            orders = orders.filter(pk__lt=friend.order.pk)
    elif friend.email:
        orders = Order.objects.filter(program_id=referrer.program_id, member__email__iexact=friend.email.strip())
    else:
        return None
    if orders.exists():
        return Block(BlockReason.EXISTING_CUSTOMER, "the friend had ordered before the referral")
    return None


def _monthly_cap(*, settings: ReferralSettings, referrer: Member, friend, at: datetime) -> Block | None:
    start, end = period_bounds(LimitPeriod.MONTH, at, settings.program.timezone)
    made = (
        Referral.objects.filter(referrer=referrer, created_at__gte=start, created_at__lt=end)
        .exclude(status=ReferralStatus.BLOCKED)
        .count()
    )
    if made >= settings.monthly_cap_per_referrer:
        return Block(BlockReason.MONTHLY_CAP, f"{made} referrals this month, cap {settings.monthly_cap_per_referrer}")
    return None
