"""Reads of the tier system: a member's metric value in the qualification period, where they stand
against the program's tiers, and the SQL the set-based jobs share with the one-member path.

Metric values are integers in the metric's own unit, except `spend`, which is counted in cents in SQL
(exact on SQLite too, where decimals are floats) and shown as a 2-place Decimal.

What counts, attributed to when it happened:
- `points_earned`: active ledger rows of an earning kind (orders, events, rules, referrals, net of their
  refunds). Order rows (earn and refund) count at the order's `placed_at`, so a refund nets against the
  period the order counted in, never against a later one. Pending points count once they are active.
- `spend`: subtotal − refunded amount of orders placed in the period.
- `orders`: orders placed in the period, unless fully refunded.
Orders and events are evaluated in real time at the moment they arrive (`timezone.now()`), so a
back-dated order counts in its own period and never promotes the member on an old period's activity.
The window of `at` is [start, at]: lifetime has no start, calendar_year starts on 1 January in the
program's time zone, rolling_12_months starts at `at` minus one year.
"""

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from psycopg.types.numeric import Int8

from loyalty.choices import LimitPeriod, TierMetric, TierPeriod
from loyalty.models import Program, Tier
from loyalty.periods import period_bounds
from members.choices import EARNING_KINDS, TransactionStatus
from members.models import Member
from members.prepared import fetch_one

CENTS = Decimal("100")


@dataclass(frozen=True)
class TierWindow:
    start: datetime | None
    end: datetime


def _years_later(at: datetime, years: int) -> datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # 29 February
        return at.replace(year=at.year + years, day=28)


def _year_before(at: datetime) -> datetime:
    return _years_later(at, -1)


# The last window worked out, by (the moment itself, period, zone): an order asks for its moment's window twice (what
# it adds, then its write statement's metric), a batch once per order of the same moment. Held with its moment, so
# the moment's identity names it; replaced whole (one assignment), so threads read a consistent entry.
_last_window: tuple = (None, None, None, None)


def tier_window(*, program: Program, at: datetime) -> TierWindow:
    global _last_window
    period, zone = program.tier_period, program.timezone
    last_at, last_period, last_zone, window = _last_window
    if last_at is at and last_period == period and last_zone == zone:
        return window
    window = _tier_window(period, zone, at)
    _last_window = (at, period, zone, window)
    return window


def _tier_window(period: str, zone: str, at: datetime) -> TierWindow:
    if period == TierPeriod.CALENDAR_YEAR:
        return TierWindow(period_bounds(LimitPeriod.YEAR, at, zone)[0], at)
    if period == TierPeriod.ROLLING_12_MONTHS:
        return TierWindow(_year_before(at), at)
    return TierWindow(None, at)


def tier_period_end(*, program: Program, at: datetime) -> datetime | None:
    """When the calendar period containing `at` ends (None for lifetime and rolling windows)."""
    if program.tier_period != TierPeriod.CALENDAR_YEAR:
        return None
    return period_bounds(LimitPeriod.YEAR, at, program.timezone)[1]


def tier_threshold_units(*, program: Program, threshold: Decimal) -> int:
    """A tier threshold in the integer unit the SQL compares against."""
    return _threshold_units(program.tier_metric == TierMetric.SPEND, threshold)


@functools.lru_cache(maxsize=1024)
def _threshold_units(cents: bool, threshold: Decimal) -> int:
    """Worked out once per threshold (every order asks for each tier above its member's)."""
    return int((threshold * CENTS).to_integral_value()) if cents else int(threshold.to_integral_value())


def tier_value_display(*, program: Program, units: int) -> int | Decimal:
    if program.tier_metric == TierMetric.SPEND:
        return (Decimal(units) / CENTS).quantize(Decimal("0.01"))
    return units


class _MetricRows(NamedTuple):
    """The rows a program's metric counts for some members, before the window: SQL over the aliases `t` (ledger)
    and `o` (orders). Shared by the sums of `tier_values_sql` and the walk of `member_tier_kept_until`."""

    member: str  # the member column
    at: str  # when a row counts
    id: str  # the row's id (ties of `at` in a walk)
    units: str  # what one row adds (`orders`: 0 for a fully refunded order)
    source: str  # FROM … WHERE …, the window left to add
    params: list


def _metric_rows(*, program: Program, member_filter: str, member_params: list) -> _MetricRows:
    if program.tier_metric == TierMetric.POINTS_EARNED:
        kinds = ", ".join(["%s"] * len(EARNING_KINDS))
        # The orders are restricted to the same members in the join itself, so the database reads only
        # their orders (by index) instead of hashing the whole order table for every chunk.
        source = (
            "FROM members_transaction t LEFT JOIN members_order o ON o.id = t.order_id"
            f" AND o.program_id = %s AND o.member_id {member_filter}"
            f" WHERE t.program_id = %s AND t.member_id {member_filter} AND t.status = %s AND t.kind IN ({kinds})"
        )
        params = [program.pk, *member_params, program.pk, *member_params, TransactionStatus.ACTIVE, *EARNING_KINDS]
        return _MetricRows("t.member_id", "COALESCE(o.placed_at, t.created_at)", "t.id", "t.points", source, params)
    if program.tier_metric == TierMetric.SPEND:
        units = "ROUND((o.subtotal - o.refunded_amount) * 100)"
    else:
        units = f"CASE WHEN {_COUNTED_ORDER} THEN 1 ELSE 0 END"
    source = f"FROM members_order o WHERE o.program_id = %s AND o.member_id {member_filter}"
    return _MetricRows("o.member_id", "o.placed_at", "o.id", units, source, [program.pk, *member_params])


_COUNTED_ORDER = "(o.refunded_amount < o.subtotal OR o.subtotal = 0)"  # `orders`: not fully refunded


def _within(rows: _MetricRows, window: TierWindow) -> tuple[str, list]:
    """`rows` restricted to `window`: the SQL after their source and its parameters."""
    adapt = connection.ops.adapt_datetimefield_value  # the connection looked up once (a thread-local each time)
    sql, params = f" AND {rows.at} <= %s", [adapt(window.end)]
    if window.start is not None:
        sql += f" AND {rows.at} >= %s"
        params.append(adapt(window.start))
    return sql, params


def tier_values_sql(*, program: Program, window: TierWindow, member_filter: str, member_params: list) -> tuple:
    """`SELECT member_id, value` for the program's metric in `window`, one row per member with activity.
    `member_filter` restricts the member column (`= %s`, `BETWEEN %s AND %s`, `IN (…)`): every path that
    evaluates tiers, from one member in real time to a million in the job, goes through this one query."""
    rows = _metric_rows(program=program, member_filter=member_filter, member_params=member_params)
    if program.tier_metric == TierMetric.POINTS_EARNED:
        value, counted = "SUM(t.points)", ""
    elif program.tier_metric == TierMetric.SPEND:
        value, counted = f"CAST(SUM({rows.units}) AS BIGINT)", ""
    else:
        value, counted = "COUNT(*)", f" AND {_COUNTED_ORDER}"
    window_sql, window_params = _within(rows, window)
    sql = f"SELECT {rows.member} AS member_id, {value} AS value {rows.source}{counted}{window_sql}"
    return f"{sql} GROUP BY {rows.member}", [*rows.params, *window_params]


def tiers_by_rank(*, program_id: int) -> list[Tier]:
    return list(Tier.objects.filter(program_id=program_id).order_by("position", "id"))


def tier_for_units(*, program: Program, tiers: list[Tier], units: int) -> Tier | None:
    """The highest-ranked tier reachable by thresholds with `units` of the metric (invite-only never)."""
    reached = None
    for tier in tiers:
        if not tier.invite_only and tier_threshold_units(program=program, threshold=tier.threshold) <= units:
            reached = tier
    return reached


def tier_upgrades(*, member: Member, tiers: list[Tier]) -> list[tuple[Tier, int]]:
    """The tiers earning can move `member` up to, by rank, lowest first, each with its threshold in metric units:
    the tiers above theirs (all of them when they have none) except invite-only ones; none when their tier is locked,
    or is not among `tiers` (a tier newer than this process's cached configuration: its rank is unknown, and a move
    to a tier of the stale list could be a move down). No query (`tiers` by rank, as the cached configuration)."""
    if member.tier_locked:
        return []
    rank = next((index for index, tier in enumerate(tiers) if tier.pk == member.tier_id), None)
    if rank is None:
        if member.tier_id is not None:
            return []
        rank = -1
    cents = member.program.tier_metric == TierMetric.SPEND
    return [(tier, _threshold_units(cents, tier.threshold)) for tier in tiers[rank + 1 :] if not tier.invite_only]


def tier_upgrade_target(upgrades: list[tuple[Tier, int]], units: int) -> Tier | None:
    """The tier a member with `units` of the metric moves up to: the highest of their `upgrades` whose threshold
    `units` reaches, None to stay. The same rule as `tier_for_units` above the member's rank (the order's write
    statement applies it in SQL to the same list: `order_sql.order_write`)."""
    return next((tier for tier, needed in reversed(upgrades) if needed <= units), None)


def tier_target_case_sql(*, program: Program, tiers: list[Tier], value_sql: str) -> tuple[str, list]:
    """SQL `CASE` giving the id of the tier `value_sql` reaches: the same rule as `tier_for_units`."""
    whens, params = [], []
    for tier in reversed(tiers):
        if not tier.invite_only:
            whens.append(f"WHEN {value_sql} >= %s THEN %s")
            params += [tier_threshold_units(program=program, threshold=tier.threshold), tier.pk]
    if not whens:
        return "CAST(NULL AS INTEGER)", []
    return f"CASE {' '.join(whens)} ELSE NULL END", params


def tier_rank_case_sql(*, tiers: list[Tier], tier_sql: str) -> tuple[str, list]:
    """SQL giving the rank (index in `tiers`) of the tier id `tier_sql`, -1 for no tier."""
    if not tiers:
        return "-1", []
    whens = " ".join("WHEN %s THEN %s" for _ in tiers)
    params = [p for rank, tier in enumerate(tiers) for p in (tier.pk, rank)]
    return f"CASE {tier_sql} {whens} ELSE -1 END", params


def member_tier_units(*, member: Member, at: datetime) -> int:
    """The member's metric value in the period of `at` (one indexed aggregate over their own rows)."""
    sql, params = member_tier_units_sql(program=member.program, member_id=member.pk, at=at)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        row = cursor.fetchone()
    return int(row[0])


def member_tier_units_sql(
    *, program: Program, at: datetime, member_id: int | None = None, member_sql: str = ""
) -> tuple[str, list]:
    """A scalar SQL expression: the member's metric value in the period of `at`, 0 without activity. The member is
    `member_id`, or the SQL expression `member_sql` (the order's write statement names it once for all its parts)."""
    values_sql, params = tier_values_sql(
        program=program,
        window=tier_window(program=program, at=at),
        member_filter=f"= {member_sql}" if member_sql else "= %s",
        member_params=[] if member_sql else [member_id],
    )
    return f"COALESCE((SELECT v.value FROM ({values_sql}) v), 0)", params


def order_tier_units(
    *, program: Program, window: TierWindow, placed_at: datetime, subtotal: Decimal, points: int, pending: bool
) -> int:
    """What one new order (and its ledger row of `points`, if any) adds to its member's metric in `window`, by the
    rules of `tier_values_sql`: the order path reads the value before its writes and adds this."""
    if placed_at > window.end or (window.start is not None and placed_at < window.start):
        return 0
    if program.tier_metric == TierMetric.POINTS_EARNED:
        return 0 if pending else points  # an order's earn row counts at the order's placed_at once active
    if program.tier_metric == TierMetric.SPEND:
        return int((subtotal * CENTS).to_integral_value())
    return 1  # a new order is not refunded


@dataclass(frozen=True)
class TierStanding:
    """Where a member stands: their tier, the next one reachable by thresholds and what is missing."""

    tiers: list[Tier]
    units: int
    tier: Tier | None
    next_tier: Tier | None
    next_units: int | None

    def rank_of(self, tier: Tier | None) -> int:
        return self.tiers.index(tier) if tier in self.tiers else -1

    @property
    def remaining_units(self) -> int | None:
        return None if self.next_units is None else max(self.next_units - self.units, 0)


def member_tier_standing(*, member: Member, at: datetime) -> TierStanding:
    """One query: the program's tiers, each carrying the member's metric value as a scalar subquery."""
    program = member.program
    units_sql, params = member_tier_units_sql(program=program, member_id=member.pk, at=at)
    tiers = list(
        Tier.objects.filter(program_id=program.pk)
        .annotate(member_units=RawSQL(f"SELECT {units_sql}", params))
        .order_by("position", "id")
    )
    units = int(tiers[0].member_units) if tiers else 0
    return tier_standing(program=program, tiers=tiers, units=units, tier_id=member.tier_id)


def tier_standing(*, program: Program, tiers: list[Tier], units: int, tier_id: int | None) -> TierStanding:
    """Where a member in tier `tier_id` with `units` of the metric stands among `tiers` (by rank); no query."""
    current = next((t for t in tiers if t.pk == tier_id), None)
    rank = tiers.index(current) if current else -1
    upper = [t for t in tiers[rank + 1 :] if not t.invite_only]
    next_tier = upper[0] if upper else None
    next_units = tier_threshold_units(program=program, threshold=next_tier.threshold) if next_tier else None
    return TierStanding(tiers=tiers, units=units, tier=current, next_tier=next_tier, next_units=next_units)


def member_tier_kept_until(*, member: Member, standing: TierStanding, at: datetime) -> datetime | None:
    """Until when the member keeps their tier without any new activity, for periods that end:
    the end of the calendar year, or the moment enough activity slides out of the rolling window.
    None for lifetime, manual (locked) tiers and tiers without a threshold to fall below."""
    program = member.program
    tier = standing.tier
    if tier is None or member.tier_locked or tier.invite_only or program.tier_period == TierPeriod.LIFETIME:
        return None
    needed = tier_threshold_units(program=program, threshold=tier.threshold)
    if needed <= 0:
        return None
    if program.tier_period == TierPeriod.CALENDAR_YEAR:
        return tier_period_end(program=program, at=at)
    # Rolling: the tier lasts until the row whose sliding out takes the value below the threshold has been in the
    # window for a year.
    happened_at = _first_row_below(member=member, units=standing.units, needed=needed, at=at)
    return None if happened_at is None else _years_later(happened_at, 1) + timedelta(microseconds=1)


def _first_row_below(*, member: Member, units: int, needed: int, at: datetime) -> datetime | None:
    """When the first of the member's rows in the window of `at` (oldest first) happened whose sliding out, with
    the rows before it, leaves less than `needed` of `units`; None if none does. One statement, the running sum
    in the database (a member's year of activity read row by row through the ORM cost a first view of the widget
    more than the rest of its answer), prepared on PostgreSQL."""
    program = member.program
    rows = _metric_rows(program=program, member_filter="= %s", member_params=[member.pk])
    window_sql, window_params = _within(rows, tier_window(program=program, at=at))
    sql = (
        f"SELECT a.at FROM (SELECT {rows.at} AS at, {rows.id} AS id, SUM({rows.units}) OVER"
        f" (ORDER BY {rows.at}, {rows.id} ROWS UNBOUNDED PRECEDING) AS gone {rows.source}{window_sql}) a"
        " WHERE a.gone > %s ORDER BY a.at, a.id LIMIT 1"
    )
    params = [*rows.params, *window_params, units - needed]
    if connection.vendor == "postgresql":  # one typing of the text, one prepared statement (psycopg types by size)
        params = [Int8(value) if type(value) is int else value for value in params]
    row = fetch_one(sql, params)
    if row is None:
        return None
    happened_at = row[0]
    if isinstance(happened_at, str):  # SQLite: its text, or a naive UTC moment from its column's declared type
        happened_at = parse_datetime(happened_at)
    return timezone.make_aware(happened_at, UTC) if timezone.is_naive(happened_at) else happened_at


def member_tier_progress(*, member: Member, at: datetime) -> dict:
    """Tier progress for the portal and the widget: the metric value in the current period, the next
    tier's threshold, how far along (0–1) and until when the current tier is kept (None: no end)."""
    return tier_progress(member=member, standing=member_tier_standing(member=member, at=at), at=at)


def tier_progress(*, member: Member, standing: TierStanding, at: datetime) -> dict:
    """`member_tier_progress` for a standing already read (the widget's first view reads it in its own statement):
    no query but the activity walk of `member_tier_kept_until` for a tier that can run out in a rolling period."""
    program = member.program
    fraction = 1.0
    if standing.next_units:
        fraction = round(min(max(standing.units / standing.next_units, 0.0), 1.0), 4)
    next_tier = standing.next_tier
    return {
        "metric": program.tier_metric,
        "period": program.tier_period,
        "value": tier_value_display(program=program, units=standing.units),
        "tier": {"key": standing.tier.key, "name": standing.tier.name} if standing.tier else None,
        "next_tier": (
            {
                "key": next_tier.key,
                "name": next_tier.name,
                "threshold": tier_value_display(program=program, units=standing.next_units),
                "remaining": tier_value_display(program=program, units=standing.remaining_units),
            }
            if next_tier
            else None
        ),
        "fraction": fraction,
        "kept_until": member_tier_kept_until(member=member, standing=standing, at=at),
    }


def tier_list(*, program_id: int, include_invite_only: bool = False) -> list[Tier]:
    """The program's tiers by rank, as shown to shoppers (portal, widget): invite-only tiers are hidden
    unless asked for (staff views)."""
    tiers = Tier.objects.filter(program_id=program_id).order_by("position", "id")
    if not include_invite_only:
        tiers = tiers.filter(invite_only=False)
    return list(tiers)
