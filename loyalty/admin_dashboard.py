"""Does the program pay? The reports of one program's analytics page in the admin, over a range of whole
months: members and active members, points issued / redeemed / expired per month, the outstanding liability in
money, redemption rate, tier distribution and movements, repeat purchase rate and purchase frequency,
average order value, referrals and top rewards; each downloads as CSV.

They read the rollup tables of the `analytics` app (refreshed by the `refresh_analytics` job), so the page
reads thousands of rows instead of millions and stays under a second at a million members; the page says
when the data was last refreshed. Referrals are counted live (a program has few, and `program, status` is
indexed). Ranges are whole months because distinct-member figures come from member-month steps."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.safestring import SafeString

from analytics.models import RollupState
from analytics.selectors import (
    active_members_by_month,
    distinct_members,
    program_days_by_month,
    program_days_total,
    reward_totals,
    rollup_state_get,
    tier_moves,
)
from loyalty.admin_charts import bar_chart_svg
from loyalty.choices import RewardType
from loyalty.models import Program, Tier
from members.models import Order
from referrals.choices import ReferralStatus
from referrals.models import Referral
from rewards.models import Reward

DEFAULT_MONTHS = 12
TOP_REWARDS = 10
CENT = Decimal("0.01")


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """Whole months: days `start` (a first of the month) to `end` (a last of the month), both included, in the
    program's time zone."""

    start: date
    end: date
    tz: ZoneInfo

    @classmethod
    def of_months(cls, first: date, last: date, tz: ZoneInfo) -> "Period":
        return cls(start=month_start(first), end=month_end(last), tz=tz)

    @property
    def first_month(self) -> date:
        return month_start(self.start)

    @property
    def last_month(self) -> date:
        return month_start(self.end)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=self.tz)

    @property
    def until(self) -> datetime:  # exclusive
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.tz)

    def months(self) -> list[date]:
        months, month = [], self.first_month
        while month <= self.end:
            months.append(month)
            month = month_end(month) + timedelta(days=1)
        return months


def default_period(program: Program, today: date | None = None) -> Period:
    """The last 12 months, this one included."""
    tz = ZoneInfo(program.timezone)
    today = today or timezone.now().astimezone(tz).date()
    start = month_start(today)
    for _ in range(DEFAULT_MONTHS - 1):
        start = month_start(start - timedelta(days=1))
    return Period.of_months(start, today, tz)


@dataclass
class Report:
    key: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    chart: SafeString | str = ""
    note: str = ""


class Reads:
    """The rollup reads that more than one report needs, made once per page (the months' days feed the members
    and the points reports, the rollup state the summary and the tiers, the tier names the tiers and the
    movements). A CSV download builds one report with its own."""

    def __init__(self, program: Program, period: Period):
        self.program, self.period = program, period

    @cached_property
    def state(self) -> RollupState | None:
        return rollup_state_get(program=self.program)

    @cached_property
    def days_by_month(self) -> dict[date, dict]:
        return program_days_by_month(program=self.program, start=self.period.start, end=self.period.end)

    @cached_property
    def tier_names(self) -> list[tuple[int, str]]:
        return list(Tier.objects.filter(program=self.program).order_by("position", "id").values_list("pk", "name"))


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


def members_report(program: Program, period: Period, reads: Reads | None = None) -> Report:
    """New members and active members (with any ledger row) per month."""
    days = (reads or Reads(program, period)).days_by_month
    active = active_members_by_month(program=program, first=period.first_month, last=period.last_month)
    months = period.months()
    rows = [[m.strftime("%Y-%m"), days.get(m, {}).get("new_members", 0), active.get(m, 0)] for m in months]
    chart = bar_chart_svg(
        labels=[r[0] for r in rows], series=[("new", [r[1] for r in rows]), ("active", [r[2] for r in rows])]
    )
    return Report(
        "members", "Members: new and active per month", ["month", "new_members", "active_members"], rows, chart
    )


def points_report(program: Program, period: Period, reads: Reads | None = None) -> Report:
    """Points issued (earning net of refunds, bonuses, referrals), redeemed and expired per month."""
    days = (reads or Reads(program, period)).days_by_month
    rows = []
    for month in period.months():
        row = days.get(month, {})
        rows.append(
            [month.strftime("%Y-%m"), row.get("points_issued", 0), row.get("points_redeemed", 0),
             row.get("points_expired", 0)]
        )  # fmt: skip
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


def tiers_report(program: Program, period: Period, reads: Reads | None = None) -> Report:
    """Members per tier at the last refresh."""
    reads = reads or Reads(program, period)
    counts = reads.state.tier_counts if reads.state else {}
    tiers = reads.tier_names
    rows = [[name, counts.get(str(pk), 0)] for pk, name in tiers] + [["(no tier)", counts.get("none", 0)]]
    chart = bar_chart_svg(labels=[r[0] for r in rows], series=[("members", [r[1] for r in rows])])
    return Report("tiers", "Tier distribution (now)", ["tier", "members"], rows, chart)


def tier_movements_report(program: Program, period: Period, reads: Reads | None = None) -> Report:
    names = dict((reads or Reads(program, period)).tier_names)
    moves = tier_moves(program=program, start=period.start, end=period.end)
    rows = [[names.get(a, "—"), names.get(b, "—"), reason, n] for a, b, reason, n in moves]
    return Report("tier_movements", "Tier movements", ["from_tier", "to_tier", "reason", "members"], rows)


def summary_report(program: Program, period: Period, reads: Reads | None = None) -> Report:
    """The headline figures: sums over the period's days, distinct members over its months, balances now."""
    state = (reads or Reads(program, period)).state
    members = RollupState(program=program) if state is None else state
    distinct = distinct_members(program=program, first=period.first_month, last=period.last_month)
    days = program_days_total(program=program, start=period.start, end=period.end)
    point_value = program_point_value(program)
    outstanding = members.points_outstanding
    liability = (Decimal(outstanding) * point_value).quantize(CENT) if point_value is not None else None
    redeemed, orders, buyers = days["redeemed"], days["orders"], distinct["buyers"]
    aov = (days["net"] / orders).quantize(CENT) if orders else Decimal("0.00")
    frequency = (Decimal(orders) / buyers).quantize(CENT) if buyers else Decimal("0.00")
    rows = [
        ["members", members.members],
        ["active_members", distinct["active"]],
        ["points_issued", days["issued"]],
        ["points_redeemed", redeemed],
        ["redemption_rate_pct", _pct(redeemed, days["issued"])],
        ["points_outstanding", outstanding],
        ["points_pending", members.points_pending],
        ["point_value", point_value if point_value is not None else ""],
        [f"liability_{program.currency}", liability if liability is not None else ""],
        ["buyers", buyers],
        ["repeat_buyers", distinct["repeat"]],
        ["repeat_purchase_rate_pct", _pct(distinct["repeat"], buyers)],
        ["purchase_frequency", frequency],
        [f"member_net_revenue_{program.currency}", days["net"]],
        [f"member_average_order_value_{program.currency}", aov],
        [f"non_member_average_order_value_{program.currency}", ""],
    ]
    note = (
        "Active: members with any points activity in the period. Liability: outstanding points × point value. "
        "Non-member orders are not sent to the program, so their average order value is not known."
    )
    return Report("summary", "Summary", ["metric", "value"], rows, note=note)


def referrals_report(program: Program, period: Period, reads: Reads | None = None) -> Report:
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


def top_rewards_report(program: Program, period: Period, reads: Reads | None = None) -> Report:
    totals = reward_totals(program=program, start=period.start, end=period.end)
    names = dict(Reward.objects.filter(pk__in=[t["reward_id"] for t in totals]).values_list("pk", "name"))
    rows = sorted(
        ([names.get(t["reward_id"], "—"), t["redemptions"], t["points"], t["value"]] for t in totals),
        key=lambda row: (-row[1], row[0]),
    )[:TOP_REWARDS]
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


def program_reports(*, program: Program, period: Period, reads: Reads | None = None) -> list[Report]:
    reads = reads or Reads(program, period)
    return [build(program, period, reads) for build in REPORTS.values()]
