"""Reads of the rollups for the dashboard: each a small aggregate over rollup rows (thousands, not millions).
Ranges are inclusive: days `start`..`end`, months `first`..`last` (first days of months)."""

from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum

from analytics.models import MemberMonthStep, ProgramDay, RewardDay, RollupState, Source, TierMoveDay
from loyalty.models import Program


def rollup_state_get(*, program: Program) -> RollupState | None:
    return RollupState.objects.filter(program=program).first()


def program_days_by_month(*, program: Program, start: date, end: date) -> dict[date, dict]:
    """The additive figures of each month from `start` to `end`, keyed by the month's first day."""
    months: dict[date, dict] = {}
    rows = ProgramDay.objects.filter(program=program, day__gte=start, day__lte=end).values(
        "day", "new_members", "points_issued", "points_redeemed", "points_expired", "orders", "order_net"
    )
    for row in rows:
        month = months.setdefault(row["day"].replace(day=1), {"order_net": Decimal("0")})
        for name, value in row.items():
            if name != "day":
                month[name] = month.get(name, 0) + value
    return months


def program_days_total(*, program: Program, start: date, end: date) -> dict:
    return ProgramDay.objects.filter(program=program, day__gte=start, day__lte=end).aggregate(
        issued=Sum("points_issued", default=0),
        redeemed=Sum("points_redeemed", default=0),
        orders=Sum("orders", default=0),
        net=Sum("order_net", default=Decimal("0")),
    )


def _steps(program: Program, source: str):
    return MemberMonthStep.objects.filter(program=program, source=source)


def _from_before(first: date) -> Q:
    return Q(prev_month__lt=first) | Q(prev_month__isnull=True)


def active_members_by_month(*, program: Program, first: date, last: date) -> dict[date, int]:
    """Members with any ledger row in each month."""
    rows = (
        _steps(program, Source.LEDGER)
        .filter(month__gte=first, month__lte=last)
        .values_list("month")
        .annotate(members=Sum("n"))
        .order_by()
    )
    return dict(rows)


def distinct_members(*, program: Program, first: date, last: date) -> dict:
    """Members with any ledger row in the months, buyers (an order in them) and repeat buyers (two or more):
    each member is counted at their first step into the range (and, for repeat, at their second order in it)."""
    active = (
        _steps(program, Source.LEDGER)
        .filter(_from_before(first), month__gte=first, month__lte=last)
        .aggregate(n=Sum("n", default=0))["n"]
    )
    orders = _steps(program, Source.ORDERS).aggregate(
        buyers=Sum("n", default=0, filter=_from_before(first) & Q(month__gte=first, month__lte=last)),
        repeat=Sum(
            "n",
            default=0,
            filter=Q(month__lte=last, prev_month__gte=first) & (Q(prev2_month__lt=first) | Q(prev2_month__isnull=True)),
        ),
    )
    return {"active": active, **orders}


def tier_moves(*, program: Program, start: date, end: date) -> list[tuple]:
    """(from tier id, to tier id, reason, members), most first."""
    return list(
        TierMoveDay.objects.filter(program=program, day__gte=start, day__lte=end)
        .values_list("from_tier_id", "to_tier_id", "reason")
        .annotate(members=Sum("n"))
        .order_by("-members", "from_tier_id", "to_tier_id")
    )


def reward_totals(*, program: Program, start: date, end: date) -> list[dict]:
    """Per reward: completed redemptions, points and value in the days."""
    return list(
        RewardDay.objects.filter(program=program, day__gte=start, day__lte=end)
        .values("reward_id")
        .annotate(redemptions=Sum("redemptions"), points=Sum("points"), value=Sum("value"))
        .order_by()
    )
