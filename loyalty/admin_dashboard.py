"""Does the program pay? The reports of one program's analytics page in the admin, over a date range:
members and active members, points issued / redeemed / expired per month, the outstanding liability in
money, redemption rate, tier distribution and movements, repeat purchase rate and purchase frequency,
average order value, referrals and top rewards. Each is a few aggregate queries (GROUP BY in the
database, never a loop over members), so the page stays fast at a million members; each downloads as CSV."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.safestring import SafeString

from loyalty.admin_charts import bar_chart_svg
from loyalty.choices import RewardType
from loyalty.models import Program, Tier
from members.choices import EARNING_KINDS, TransactionKind, TransactionStatus
from members.models import Member, Order, TierChange, Transaction
from referrals.choices import ReferralStatus
from referrals.models import Referral
from rewards.choices import RedemptionStatus
from rewards.models import Redemption, Reward

DEFAULT_MONTHS = 12
TOP_REWARDS = 10
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Period:
    """Days `start` to `end`, both included, in the program's time zone."""

    start: date
    end: date
    tz: ZoneInfo

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=self.tz)

    @property
    def until(self) -> datetime:  # exclusive
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.tz)

    def months(self) -> list[date]:
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return months


def default_period(program: Program, today: date | None = None) -> Period:
    tz = ZoneInfo(program.timezone)
    today = today or timezone.now().astimezone(tz).date()
    start = today.replace(day=1)
    for _ in range(DEFAULT_MONTHS - 1):
        start = (start - timedelta(days=1)).replace(day=1)
    return Period(start=start, end=today, tz=tz)


@dataclass
class Report:
    key: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    chart: SafeString | str = ""
    note: str = ""


def _pct(part, whole) -> Decimal:
    return (
        (Decimal(100) * Decimal(part) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP) if whole else Decimal(0)
    )


def program_point_value(program: Program) -> Decimal | None:
    """Money per point: the program's setting, else the cheapest fixed-discount reward's value / cost."""
    if program.point_value is not None:
        return program.point_value
    reward = (
        Reward.objects.filter(program=program, type=RewardType.FIXED_DISCOUNT, value__gt=0, points_cost__gt=0)
        .order_by("points_cost", "id")
        .values("value", "points_cost")
        .first()
    )
    return (reward["value"] / reward["points_cost"]).quantize(Decimal("0.000001")) if reward else None


def _by_month(queryset, date_field: str, period: Period, **aggregates) -> dict[date, dict]:
    rows = (
        queryset.filter(**{f"{date_field}__gte": period.since, f"{date_field}__lt": period.until})
        .annotate(month=TruncMonth(date_field, tzinfo=period.tz))
        .values("month")
        .annotate(**aggregates)
    )
    return {row["month"].date() if isinstance(row["month"], datetime) else row["month"]: row for row in rows}


def members_report(program: Program, period: Period) -> Report:
    """New members and active members (with any ledger row) per month."""
    new = _by_month(Member.objects.filter(program=program), "created_at", period, n=Count("pk"))
    active = _by_month(
        Transaction.objects.filter(program=program), "created_at", period, n=Count("member_id", distinct=True)
    )
    months = period.months()
    rows = [[m.strftime("%Y-%m"), new.get(m, {}).get("n", 0), active.get(m, {}).get("n", 0)] for m in months]
    chart = bar_chart_svg(
        labels=[r[0] for r in rows], series=[("new", [r[1] for r in rows]), ("active", [r[2] for r in rows])]
    )
    return Report(
        "members", "Members: new and active per month", ["month", "new_members", "active_members"], rows, chart
    )


def points_report(program: Program, period: Period) -> Report:
    """Points issued (earning net of refunds, bonuses, referrals), redeemed and expired per month."""
    active = Q(status=TransactionStatus.ACTIVE)
    by_month = _by_month(
        Transaction.objects.filter(program=program),
        "created_at",
        period,
        issued=Sum("points", filter=active & Q(kind__in=EARNING_KINDS), default=0),
        redeemed=Sum("points", filter=active & Q(kind=TransactionKind.REDEEM), default=0),
        expired=Sum("points", filter=active & Q(kind=TransactionKind.EXPIRE), default=0),
    )
    rows = []
    for month in period.months():
        row = by_month.get(month, {})
        rows.append([month.strftime("%Y-%m"), row.get("issued", 0), -row.get("redeemed", 0), -row.get("expired", 0)])
    chart = bar_chart_svg(
        labels=[r[0] for r in rows],
        series=[
            ("issued", [r[1] for r in rows]),
            ("redeemed", [r[2] for r in rows]),
            ("expired", [r[3] for r in rows]),
        ],
    )
    return Report(
        "points", "Points issued, redeemed and expired", ["month", "issued", "redeemed", "expired"], rows, chart
    )


def tiers_report(program: Program, period: Period) -> Report:
    """Members per tier now (one GROUP BY over the members)."""
    counts = dict(Member.objects.filter(program=program).values_list("tier_id").annotate(n=Count("pk")).order_by())
    tiers = list(Tier.objects.filter(program=program).order_by("position", "id").values_list("pk", "name"))
    rows = [[name, counts.get(pk, 0)] for pk, name in tiers] + [["(no tier)", counts.get(None, 0)]]
    chart = bar_chart_svg(labels=[r[0] for r in rows], series=[("members", [r[1] for r in rows])])
    return Report("tiers", "Tier distribution (now)", ["tier", "members"], rows, chart)


def tier_movements_report(program: Program, period: Period) -> Report:
    names = dict(Tier.objects.filter(program=program).values_list("pk", "name"))
    moves = (
        TierChange.objects.filter(member__program=program, created_at__gte=period.since, created_at__lt=period.until)
        .values_list("from_tier_id", "to_tier_id", "reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "from_tier_id", "to_tier_id")
    )
    rows = [[names.get(a, "—"), names.get(b, "—"), reason, n] for a, b, reason, n in moves]
    return Report("tier_movements", "Tier movements", ["from_tier", "to_tier", "reason", "members"], rows)


def summary_report(program: Program, period: Period) -> Report:
    """The headline figures, each from an aggregate over the period (or now, for balances)."""
    in_period = {"created_at__gte": period.since, "created_at__lt": period.until}
    members = Member.objects.filter(program=program).aggregate(
        total=Count("pk"), outstanding=Sum("points_balance", default=0), pending=Sum("pending_points", default=0)
    )
    active = Transaction.objects.filter(program=program, **in_period).aggregate(n=Count("member_id", distinct=True))[
        "n"
    ]
    ledger = Q(status=TransactionStatus.ACTIVE)
    points = Transaction.objects.filter(program=program, **in_period).aggregate(
        issued=Sum("points", filter=ledger & Q(kind__in=EARNING_KINDS), default=0),
        redeemed=Sum("points", filter=ledger & Q(kind=TransactionKind.REDEEM), default=0),
    )
    per_buyer = (
        Order.objects.filter(program=program, placed_at__gte=period.since, placed_at__lt=period.until)
        .values("member_id")
        .annotate(member_orders=Count("pk"), member_net=Sum(F("subtotal") - F("refunded_amount")))
        .order_by()
    )
    buyers = per_buyer.aggregate(
        buyers=Count("member_id"),
        repeat=Count("member_id", filter=Q(member_orders__gte=2)),
        orders=Sum("member_orders", default=0),
        net=Sum("member_net", default=Decimal("0")),
    )
    point_value = program_point_value(program)
    liability = (Decimal(members["outstanding"]) * point_value).quantize(CENT) if point_value is not None else None
    redeemed = -points["redeemed"]
    aov = (buyers["net"] / buyers["orders"]).quantize(CENT) if buyers["orders"] else Decimal("0.00")
    frequency = (Decimal(buyers["orders"]) / buyers["buyers"]).quantize(CENT) if buyers["buyers"] else Decimal("0.00")
    rows = [
        ["members", members["total"]],
        ["active_members", active],
        ["points_issued", points["issued"]],
        ["points_redeemed", redeemed],
        ["redemption_rate_pct", _pct(redeemed, points["issued"])],
        ["points_outstanding", members["outstanding"]],
        ["points_pending", members["pending"]],
        ["point_value", point_value if point_value is not None else ""],
        [f"liability_{program.currency}", liability if liability is not None else ""],
        ["buyers", buyers["buyers"]],
        ["repeat_buyers", buyers["repeat"]],
        ["repeat_purchase_rate_pct", _pct(buyers["repeat"], buyers["buyers"])],
        ["purchase_frequency", frequency],
        [f"member_net_revenue_{program.currency}", buyers["net"]],
        [f"member_average_order_value_{program.currency}", aov],
        [f"non_member_average_order_value_{program.currency}", ""],
    ]
    note = (
        "Active: members with any points activity in the period. Liability: outstanding points × point value. "
        "Non-member orders are not sent to the program, so their average order value is not known."
    )
    return Report("summary", "Summary", ["metric", "value"], rows, note=note)


def referrals_report(program: Program, period: Period) -> Report:
    """Referrals claimed in the period: how many converted, and what the friends spent in the period."""
    counted = [ReferralStatus.CLAIMED, ReferralStatus.JOINED, ReferralStatus.CONVERTED, ReferralStatus.CANCELLED]
    referrals = Referral.objects.filter(program=program, created_at__gte=period.since, created_at__lt=period.until)
    counts = referrals.aggregate(
        claimed=Count("pk", filter=Q(status__in=counted)),
        converted=Count("pk", filter=Q(status=ReferralStatus.CONVERTED)),
        blocked=Count("pk", filter=Q(status=ReferralStatus.BLOCKED)),
    )
    revenue = Order.objects.filter(
        program=program,
        placed_at__gte=period.since,
        placed_at__lt=period.until,
        member__referrals_received__in=referrals.filter(status__in=counted[1:]),
    ).aggregate(net=Sum(F("subtotal") - F("refunded_amount"), default=Decimal("0")))["net"]
    rows = [
        ["claimed", counts["claimed"]],
        ["converted", counts["converted"]],
        ["conversion_rate_pct", _pct(counts["converted"], counts["claimed"])],
        ["blocked", counts["blocked"]],
        [f"referred_revenue_{program.currency}", revenue],
    ]
    return Report("referrals", "Referrals", ["metric", "value"], rows)


def top_rewards_report(program: Program, period: Period) -> Report:
    rows = (
        Redemption.objects.filter(
            program=program,
            status=RedemptionStatus.COMPLETED,
            created_at__gte=period.since,
            created_at__lt=period.until,
        )
        .values_list("reward__name")
        .annotate(n=Count("pk"), points=Sum("points_spent"), value=Sum("value", default=Decimal("0")))
        .order_by("-n", "reward__name")[:TOP_REWARDS]
    )
    rows = [list(row) for row in rows]
    chart = bar_chart_svg(labels=[r[0] for r in rows], series=[("redemptions", [r[1] for r in rows])])
    return Report("top_rewards", "Top rewards", ["reward", "redemptions", "points", "value"], rows, chart)


REPORTS = {
    "summary": summary_report,
    "members": members_report,
    "points": points_report,
    "tiers": tiers_report,
    "tier_movements": tier_movements_report,
    "referrals": referrals_report,
    "top_rewards": top_rewards_report,
}


def program_reports(*, program: Program, period: Period) -> list[Report]:
    return [build(program, period) for build in REPORTS.values()]
