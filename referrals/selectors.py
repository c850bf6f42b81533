"""Reads of the referrals app: the landing page's referrer, the admin's lists and the stats."""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.urls import reverse

from loyalty.models import Program
from members.models import Member, Order
from referrals.choices import ReferralStatus
from referrals.models import Referral

_CODE_SHAPE = re.compile(r"^[A-Za-z0-9]{4,16}$")
# Friends who count: attributed and not blocked (cancelled ones were real friends whose order was refunded).
_COUNTED = (ReferralStatus.CLAIMED, ReferralStatus.JOINED, ReferralStatus.CONVERTED, ReferralStatus.CANCELLED)


def referral_url(*, code: str) -> str:
    """The shareable link of a referral code, absolute (`SITE_URL`), for the member answer, portal and widget."""
    return settings.SITE_URL.rstrip("/") + reverse("referral-landing", kwargs={"code": code})


def referrer_get_by_code(*, code: str) -> Member | None:
    """The member behind a referral code, with their program (one query), if the program runs referrals."""
    if not _CODE_SHAPE.match(code or ""):
        return None
    return (
        Member.objects.select_related("program")
        .filter(referral_code=code.upper(), program__referrals_enabled=True)
        .first()
    )


def referral_list(*, program: Program, status: str | None = None, referrer: Member | None = None):
    rows = Referral.objects.filter(program=program).select_related("referrer", "friend").order_by("-id")
    if status:
        rows = rows.filter(status=status)
    if referrer is not None:
        rows = rows.filter(referrer=referrer)
    return rows


@dataclass(frozen=True)
class ReferralStats:
    invites_claimed: int
    friends_converted: int
    blocked: int
    revenue: Decimal
    friend_rewards_granted: int
    referrer_rewards_granted: int
    referrer_points_granted: int


def referral_stats(*, program: Program, referrer: Member | None = None) -> ReferralStats:
    """Stats of a program, or of one referrer in it (two queries). Revenue is what referred friends kept
    (subtotal net of refunds) over all their orders; blocked friends don't count."""
    rows = Referral.objects.filter(program=program)
    if referrer is not None:
        rows = rows.filter(referrer=referrer)
    converted = Q(status=ReferralStatus.CONVERTED)
    counts = rows.aggregate(
        invites_claimed=Count("pk", filter=Q(status__in=_COUNTED)),
        friends_converted=Count("pk", filter=converted),
        blocked=Count("pk", filter=Q(status=ReferralStatus.BLOCKED)),
        friend_rewards_granted=Count("friend_voucher"),
        referrer_rewards_granted=Count("pk", filter=converted),
        referrer_points_granted=Sum("referrer_points", filter=converted, default=0),
    )
    referred_orders = Order.objects.filter(
        program=program,
        member__referrals_received__status__in=(
            ReferralStatus.JOINED,
            ReferralStatus.CONVERTED,
            ReferralStatus.CANCELLED,
        ),
    )
    if referrer is not None:
        referred_orders = referred_orders.filter(member__referrals_received__referrer=referrer)
    revenue = referred_orders.aggregate(revenue=Sum(F("subtotal") - F("refunded_amount"), default=Decimal("0")))
    return ReferralStats(revenue=revenue["revenue"], **counts)
