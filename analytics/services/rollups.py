"""The `refresh_analytics` job: the dashboard's rollup tables (analytics.models) recomputed from the source rows
with a handful of set-based `INSERT … SELECT … GROUP BY` statements per program — never a loop over members.

Incremental: a refresh recomputes only the days from the oldest one that may have changed since the last
refresh, found from the rows added since then (ids above the last refresh's high-water marks), the ledger rows
that were still pending then, the redemptions cancelled since, and a margin of the last refresh's day and the
one before (a row committed just after the marks were read). Member steps are recomputed from that day's month.
`rollups_rebuild` (command `analytics_rebuild`) drops a program's state and recomputes everything.

Days and months are the program's time zone's. The SQL is plain enough for PostgreSQL and SQLite; the two
dialect differences (local day, first day of the month) come from `_local_day` and `_month`."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from analytics.models import MemberMonthStep, ProgramDay, RewardDay, RollupState, Source, TierMoveDay
from loyalty.models import Program
from members.choices import EARNING_KINDS, TransactionKind, TransactionStatus
from members.models import Member, Order, Refund, TierChange, Transaction
from rewards.choices import RedemptionStatus
from rewards.models import Redemption


def refresh_analytics(as_of: datetime) -> int:
    """The job: refresh every program's rollups. Returns the rollup rows written."""
    return sum(rollups_refresh(program=program, as_of=as_of) for program in Program.objects.order_by("pk"))


def rollups_rebuild(*, program: Program, as_of: datetime | None = None) -> int:
    """Recompute all of `program`'s rollups from its first row (after a deletion, a data fix, a new report)."""
    RollupState.objects.filter(program=program).delete()
    return rollups_refresh(program=program, as_of=as_of or timezone.now())


@dataclass(frozen=True)
class _Marks:
    """The highest id of each source table of the program, read before the rollups are recomputed."""

    member: int
    transaction: int
    order: int
    refund: int
    tier_change: int
    redemption: int


def rollups_refresh(*, program: Program, as_of: datetime) -> int:
    """Refresh `program`'s rollups, under a lock on its state row (two refreshes never interleave)."""
    tz = ZoneInfo(program.timezone)
    started = timezone.now()
    with transaction.atomic():
        RollupState.objects.get_or_create(
            program=program, defaults={"as_of": as_of, "refreshed_at": started, "last_member_id": -1}
        )
        state = RollupState.objects.select_for_update().get(program=program)
        marks = _marks(program)
        first_run = state.last_member_id < 0
        since_day = None if first_run else _first_changed_day(program, state, tz)
        rows = _recompute(program, tz, since_day)
        _save_state(program, state, marks=marks, as_of=as_of, refreshed_at=started, tz=tz)
    return rows


def _marks(program: Program) -> _Marks:
    def top(queryset) -> int:
        return queryset.aggregate(top=Max("pk"))["top"] or 0

    return _Marks(
        member=top(Member.objects.filter(program=program)),
        transaction=top(Transaction.objects.filter(program=program)),
        order=top(Order.objects.filter(program=program)),
        refund=top(Refund.objects.filter(program=program)),
        tier_change=top(TierChange.objects.filter(member__program=program)),
        redemption=top(Redemption.objects.filter(program=program)),
    )


def _first_changed_day(program: Program, state: RollupState, tz: ZoneInfo) -> date:
    """The oldest local day whose figures may differ from the rollups (rows above the marks are found through
    the primary key, so this is cheap however big the tables are)."""
    oldest = [
        Member.objects.filter(program=program, pk__gt=state.last_member_id).aggregate(at=Min("created_at"))["at"],
        Transaction.objects.filter(program=program, pk__gt=state.last_transaction_id).aggregate(at=Min("created_at"))[
            "at"
        ],
        Order.objects.filter(program=program, pk__gt=state.last_order_id).aggregate(at=Min("placed_at"))["at"],
        Refund.objects.filter(program=program, pk__gt=state.last_refund_id).aggregate(at=Min("order__placed_at"))["at"],
        TierChange.objects.filter(member__program=program, pk__gt=state.last_tier_change_id).aggregate(
            at=Min("created_at")
        )["at"],
        Redemption.objects.filter(program=program, pk__gt=state.last_redemption_id).aggregate(at=Min("created_at"))[
            "at"
        ],
        Redemption.objects.filter(program=program, cancelled_at__gte=state.refreshed_at).aggregate(
            at=Min("created_at")
        )["at"],
    ]
    days = [at.astimezone(tz).date() for at in oldest if at is not None]
    days.append(state.refreshed_at.astimezone(tz).date() - timedelta(days=1))
    if state.pending_since is not None:
        days.append(state.pending_since)
    return min(days)


def _save_state(program, state, *, marks: _Marks, as_of, refreshed_at, tz) -> None:
    """The figures that are a state (counted now) and the marks the next refresh starts from."""
    totals = Member.objects.filter(program=program).aggregate(
        members=Count("pk"), outstanding=Sum("points_balance", default=0), pending=Sum("pending_points", default=0)
    )
    tiers = Member.objects.filter(program=program).values_list("tier_id").annotate(n=Count("pk")).order_by()
    pending = Transaction.objects.filter(program=program, status=TransactionStatus.PENDING).aggregate(
        at=Min("created_at")
    )["at"]
    state.as_of, state.refreshed_at = as_of, refreshed_at
    state.members, state.points_outstanding, state.points_pending = (
        totals["members"],
        totals["outstanding"],
        totals["pending"],
    )
    state.tier_counts = {str(tier_id) if tier_id else "none": n for tier_id, n in tiers}
    state.last_member_id, state.last_transaction_id, state.last_order_id = marks.member, marks.transaction, marks.order
    state.last_refund_id, state.last_tier_change_id = marks.refund, marks.tier_change
    state.last_redemption_id = marks.redemption
    state.pending_since = pending.astimezone(tz).date() if pending else None
    state.save()


# --- the statements ----------------------------------------------------------------------------------------


def _local_day(column: str, tz: ZoneInfo) -> tuple[str, tuple]:
    return connection.ops.datetime_cast_date_sql(column, (), str(tz))


def _month(day_sql: str) -> str:
    """The first day of the month of a date expression."""
    if connection.vendor == "postgresql":
        return f"CAST(DATE_TRUNC('month', {day_sql}) AS date)"
    return f"date({day_sql}, 'start of month')"


def _recompute(program: Program, tz: ZoneInfo, since_day: date | None) -> int:
    """Delete the rollup rows from `since_day` on (all of them when None) and insert them again."""
    since_month = since_day.replace(day=1) if since_day else date.min
    since = _midnight(since_day, tz)
    month_since = _midnight(since_month if since_day else None, tz)
    for model in (ProgramDay, TierMoveDay, RewardDay):
        model.objects.filter(program=program, day__gte=since_day or date.min).delete()
    MemberMonthStep.objects.filter(program=program, month__gte=since_month).delete()
    statements = [
        _program_days(program, tz, since),
        _tier_moves(program, tz, since),
        _reward_days(program, tz, since),
        _ledger_steps(program, tz, month_since, since_month),
        _order_steps(program, tz, month_since, since_month),
    ]
    written = 0
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            written += max(cursor.rowcount, 0)
    return written


def _midnight(day: date | None, tz: ZoneInfo):
    """The start of `day` in the program's zone, as the database compares it (the Unix epoch when None)."""
    at = datetime.combine(day, time.min, tzinfo=tz) if day else datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))
    return connection.ops.adapt_datetimefield_value(at)


def _day_param(day: date):
    return connection.ops.adapt_datefield_value(day)


def _program_days(program, tz, since) -> tuple[str, list]:
    member_day, p1 = _local_day("created_at", tz)
    txn_day, p2 = _local_day("created_at", tz)
    order_day, p3 = _local_day("placed_at", tz)
    kinds = [str(kind) for kind in EARNING_KINDS]
    marks = ", ".join(["%s"] * len(kinds))
    active = str(TransactionStatus.ACTIVE)
    sql = f"""
        INSERT INTO analytics_programday (program_id, day, new_members, points_issued, points_redeemed,
                                          points_expired, orders, order_net)
        SELECT %s, day, SUM(new_members), SUM(issued), SUM(redeemed), SUM(expired), SUM(orders), SUM(order_net)
        FROM (
            SELECT {member_day} AS day, COUNT(*) AS new_members, 0 AS issued, 0 AS redeemed, 0 AS expired,
                   0 AS orders, 0 AS order_net
            FROM members_member WHERE program_id = %s AND created_at >= %s GROUP BY 1
            UNION ALL
            SELECT {txn_day}, 0,
                   SUM(CASE WHEN status = %s AND kind IN ({marks}) THEN points ELSE 0 END),
                   -SUM(CASE WHEN status = %s AND kind = %s THEN points ELSE 0 END),
                   -SUM(CASE WHEN status = %s AND kind = %s THEN points ELSE 0 END), 0, 0
            FROM members_transaction WHERE program_id = %s AND created_at >= %s GROUP BY 1
            UNION ALL
            SELECT {order_day}, 0, 0, 0, 0, COUNT(*), SUM(subtotal - refunded_amount)
            FROM members_order WHERE program_id = %s AND placed_at >= %s GROUP BY 1
        ) figures
        GROUP BY day"""
    params = [
        program.pk,
        *p1, program.pk, since,
        *p2, active, *kinds, active, str(TransactionKind.REDEEM), active, str(TransactionKind.EXPIRE),
        program.pk, since,
        *p3, program.pk, since,
    ]  # fmt: skip
    return sql, params


def _tier_moves(program, tz, since) -> tuple[str, list]:
    day, p = _local_day("c.created_at", tz)
    sql = f"""
        INSERT INTO analytics_tiermoveday (program_id, day, from_tier_id, to_tier_id, reason, n)
        SELECT %s, {day}, c.from_tier_id, c.to_tier_id, c.reason, COUNT(*)
        FROM members_tierchange c JOIN members_member m ON m.id = c.member_id
        WHERE m.program_id = %s AND c.created_at >= %s
        GROUP BY 2, 3, 4, 5"""
    return sql, [program.pk, *p, program.pk, since]


def _reward_days(program, tz, since) -> tuple[str, list]:
    day, p = _local_day("created_at", tz)
    sql = f"""
        INSERT INTO analytics_rewardday (program_id, day, reward_id, redemptions, points, value)
        SELECT %s, {day}, reward_id, COUNT(*), SUM(points_spent), SUM(COALESCE(value, 0))
        FROM rewards_redemption WHERE program_id = %s AND status = %s AND created_at >= %s
        GROUP BY 2, 3"""
    return sql, [program.pk, *p, program.pk, str(RedemptionStatus.COMPLETED), since]


def _ledger_steps(program, tz, month_since, since_month) -> tuple[str, list]:
    """One step per member and month with any ledger row, from the member's previous such month."""
    if since_month == date.min:
        return _ledger_steps_all(program, tz)
    return _ledger_steps_since(program, tz, month_since, since_month)


def _ledger_steps_all(program, tz) -> tuple[str, list]:
    day, p = _local_day("created_at", tz)
    sql = f"""
        INSERT INTO analytics_membermonthstep (program_id, source, month, prev_month, prev2_month, n)
        SELECT %s, %s, month, prev_month, NULL, COUNT(*)
        FROM (
            SELECT month, LAG(month) OVER (PARTITION BY member_id ORDER BY month) AS prev_month
            FROM (SELECT DISTINCT member_id, {_month(day)} AS month FROM members_transaction WHERE program_id = %s)
                 active_months
        ) steps
        GROUP BY month, prev_month"""
    return sql, [program.pk, Source.LEDGER.value, *p, program.pk]


def _ledger_steps_since(program, tz, month_since, since_month) -> tuple[str, list]:
    """The steps into `since_month` and later: the members' months with rows since then, chained after their last
    earlier row (one probe of the `member, created_at` index per member, not their whole history)."""
    day, p = _local_day("created_at", tz)
    earlier_day, q = _local_day("last_at", tz)
    sql = f"""
        INSERT INTO analytics_membermonthstep (program_id, source, month, prev_month, prev2_month, n)
        SELECT %s, %s, month, prev_month, NULL, COUNT(*)
        FROM (
            SELECT month, LAG(month) OVER (PARTITION BY member_id ORDER BY month) AS prev_month
            FROM (
                SELECT DISTINCT member_id, {_month(day)} AS month
                FROM members_transaction WHERE program_id = %s AND created_at >= %s
                UNION ALL
                SELECT member_id, {_month(earlier_day)}
                FROM (
                    SELECT member_id, (
                        SELECT MAX(t.created_at) FROM members_transaction t
                        WHERE t.member_id = recent.member_id AND t.created_at < %s
                    ) AS last_at
                    FROM (
                        SELECT DISTINCT member_id FROM members_transaction WHERE program_id = %s AND created_at >= %s
                    ) recent
                ) earlier
                WHERE last_at IS NOT NULL
            ) chain
        ) steps
        WHERE month >= %s
        GROUP BY month, prev_month"""
    params = [program.pk, Source.LEDGER.value, *p, program.pk, month_since, *q, month_since, program.pk, month_since,
              _day_param(since_month)]  # fmt: skip
    return sql, params


def _order_steps(program, tz, month_since, since_month) -> tuple[str, list]:
    """One step per order, with the months of the member's two previous orders (by placed_at, then id)."""
    day, p = _local_day("placed_at", tz)
    sql = f"""
        INSERT INTO analytics_membermonthstep (program_id, source, month, prev_month, prev2_month, n)
        SELECT %s, %s, month, prev_month, prev2_month, COUNT(*)
        FROM (
            SELECT month, LAG(month, 1) OVER buyer AS prev_month, LAG(month, 2) OVER buyer AS prev2_month
            FROM (
                SELECT member_id, placed_at, id, {_month(day)} AS month
                FROM members_order
                WHERE program_id = %s AND member_id IN (
                    SELECT member_id FROM members_order WHERE program_id = %s AND placed_at >= %s
                )
            ) orders
            WINDOW buyer AS (PARTITION BY member_id ORDER BY placed_at, id)
        ) steps
        WHERE month >= %s
        GROUP BY month, prev_month, prev2_month"""
    return sql, [program.pk, Source.ORDERS.value, *p, program.pk, program.pk, month_since, _day_param(since_month)]
