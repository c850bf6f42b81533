"""Does the program pay? The figures of one program's dashboard in the admin, each one set-based query
(aggregates in the database, never a loop over members): members and their activity, revenue from members,
points issued, redeemed and still owed (the liability), rewards given, referrals, and 12 months of trend."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from loyalty.models import Program
from members.choices import EARNING_KINDS, TransactionKind, TransactionStatus
from members.models import Member, Order, Transaction
from referrals.selectors import referral_stats
from rewards.choices import RedemptionStatus
from rewards.models import Redemption

TREND_MONTHS = 12
ACTIVE_DAYS = 90


@dataclass(frozen=True)
class MonthBar:
    month: datetime
    earned: int
    redeemed: int
    revenue: Decimal
    earned_pct: int  # bar lengths, in % of the largest month
    redeemed_pct: int
    revenue_pct: int


def program_dashboard(*, program: Program, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    members = Member.objects.filter(program=program).aggregate(
        total=Count("pk"),
        active=Count("pk", filter=Q(last_activity_at__gte=now - timedelta(days=ACTIVE_DAYS))),
        buyers=Count("pk", filter=Q(orders_count__gte=1)),
        repeat_buyers=Count("pk", filter=Q(orders_count__gte=2)),
        points_owed=Sum("points_balance", default=0),
        points_pending=Sum("pending_points", default=0),
    )
    revenue = Order.objects.filter(program=program).aggregate(
        orders=Count("pk"), net=Sum(F("subtotal") - F("refunded_amount"), default=Decimal("0"))
    )
    active = Q(status=TransactionStatus.ACTIVE)
    points = Transaction.objects.filter(program=program).aggregate(
        earned=Sum("points", filter=active & Q(kind__in=EARNING_KINDS), default=0),
        redeemed=Sum("points", filter=active & Q(kind=TransactionKind.REDEEM), default=0),
        expired=Sum("points", filter=active & Q(kind=TransactionKind.EXPIRE), default=0),
    )
    rewards = Redemption.objects.filter(program=program, status=RedemptionStatus.COMPLETED).aggregate(
        count=Count("pk"), value=Sum("value", default=Decimal("0"))
    )
    redeemed = -points["redeemed"]
    return {
        "members": members,
        "revenue": revenue,
        "points": {**points, "redeemed": redeemed, "expired": -points["expired"]},
        "redemption_rate": round(100 * redeemed / points["earned"]) if points["earned"] else 0,
        "repeat_rate": round(100 * members["repeat_buyers"] / members["buyers"]) if members["buyers"] else 0,
        "rewards": rewards,
        "referrals": referral_stats(program=program),
        "months": month_bars(program=program, now=now),
    }


def month_bars(*, program: Program, now: datetime) -> list[MonthBar]:
    """Points earned and redeemed and net revenue per month over the last year (two grouped queries)."""
    since = (now - timedelta(days=31 * (TREND_MONTHS - 1))).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    active = Q(status=TransactionStatus.ACTIVE)
    points = (
        Transaction.objects.filter(program=program, created_at__gte=since)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(
            earned=Sum("points", filter=active & Q(kind__in=EARNING_KINDS), default=0),
            redeemed=Sum("points", filter=active & Q(kind=TransactionKind.REDEEM), default=0),
        )
    )
    sales = (
        Order.objects.filter(program=program, placed_at__gte=since)
        .annotate(month=TruncMonth("placed_at"))
        .values("month")
        .annotate(net=Sum(F("subtotal") - F("refunded_amount")))
    )
    by_month: dict = {}
    for row in points:
        by_month.setdefault(row["month"].date(), {})["points"] = (row["earned"], -row["redeemed"])
    for row in sales:
        by_month.setdefault(row["month"].date(), {})["net"] = row["net"] or Decimal("0")
    months = sorted(by_month)
    top_points = max([max(by_month[m].get("points", (0, 0))) for m in months] or [0]) or 1
    top_revenue = max([by_month[m].get("net", Decimal("0")) for m in months] or [Decimal("0")]) or Decimal("1")
    bars = []
    for month in months:
        earned, redeemed = by_month[month].get("points", (0, 0))
        net = by_month[month].get("net", Decimal("0"))
        bars.append(
            MonthBar(
                month=month,
                earned=earned,
                redeemed=redeemed,
                revenue=net,
                earned_pct=round(100 * earned / top_points),
                redeemed_pct=round(100 * redeemed / top_points),
                revenue_pct=round(100 * net / top_revenue),
            )
        )
    return bars
