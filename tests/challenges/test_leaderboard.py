"""Leaderboard selectors: points earned in the period (earning kinds, active rows, net of refunds), opted-in
members only, ranks with ties, calendar periods in the program's time zone, masked names."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from challenges.choices import LeaderboardPeriod
from challenges.selectors import leaderboard_period, leaderboard_rank, leaderboard_top, masked_name
from members.models import Member
from members.services.adjustments import points_adjust
from members.services.members import member_upsert
from referrals.services.flows import order_paid, order_refunded
from tests.factories.challenges import LeaderboardFactory

pytestmark = pytest.mark.django_db

NOV_10 = datetime(2026, 11, 10, 12, tzinfo=UTC)


def _member(program, customer_id, first="", last="", opt_in=True):
    member, _ = member_upsert(
        program=program, customer_id=customer_id, email=f"{customer_id}@example.com", first_name=first, last_name=last
    )
    Member.objects.filter(pk=member.pk).update(leaderboard_opt_in=opt_in)
    member.leaderboard_opt_in = opt_in
    return member


def _order(program, member, order_id, subtotal, placed_at=None):
    order_paid(
        program=program,
        order_id=order_id,
        customer_id=member.customer_id,
        subtotal=Decimal(subtotal),
        currency="USD",
        placed_at=placed_at,
    )


def test_ranks_by_points_earned_net_of_refunds_with_ties(program):
    board = LeaderboardFactory(program=program, size=10)
    a = _member(program, "a", "Amira", "Saleh")
    b = _member(program, "b", "Bahar", "Tehrani")
    c = _member(program, "c", "Carl", "Berg")
    _order(program, a, "a1", "100")
    _order(program, b, "b1", "60")
    _order(program, b, "b2", "40")
    _order(program, c, "c1", "150")
    order_refunded(program=program, order_id="c1", refund_id="r1", amount=Decimal("90"))  # c nets 60
    points_adjust(member=c, points=500, reason="manual: never counts")
    top = leaderboard_top(board=board, tz_name="UTC")
    assert [(e.rank, e.name, e.points) for e in top] == [(1, "Amira S.", 100), (1, "Bahar T.", 100), (3, "Carl B.", 60)]
    assert leaderboard_rank(board=board, member=c, tz_name="UTC").rank == 3


def test_opted_out_members_never_appear_nor_get_a_rank(program):
    board = LeaderboardFactory(program=program)
    hidden = _member(program, "h", "Hidden", "Star", opt_in=False)
    _order(program, hidden, "h1", "999")
    assert leaderboard_top(board=board, tz_name="UTC") == []
    assert leaderboard_rank(board=board, member=hidden, tz_name="UTC") is None


def test_size_limits_the_list(program):
    board = LeaderboardFactory(program=program, size=2)
    for n in range(4):
        _order(program, _member(program, f"m{n}", f"M{n}"), f"o{n}", str(10 + n))
    assert [e.points for e in leaderboard_top(board=board, tz_name="UTC")] == [13, 12]


def test_only_the_current_period_counts(program):
    # given points earned now (ledger rows are dated when written)
    board = LeaderboardFactory(program=program, period=LeaderboardPeriod.MONTH)
    _order(program, _member(program, "a", "Amira"), "a1", "500")
    now = timezone.now()
    # then they count this month, not in the month after nor the one before
    assert [e.points for e in leaderboard_top(board=board, tz_name="UTC", at=now)] == [500]
    assert leaderboard_top(board=board, tz_name="UTC", at=now + timedelta(days=32)) == []
    assert leaderboard_top(board=board, tz_name="UTC", at=now - timedelta(days=32)) == []


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        (LeaderboardPeriod.MONTH, datetime(2026, 11, 1), datetime(2026, 12, 1)),
        (LeaderboardPeriod.QUARTER, datetime(2026, 10, 1), datetime(2027, 1, 1)),
        (LeaderboardPeriod.YEAR, datetime(2026, 1, 1), datetime(2027, 1, 1)),
    ],
)
def test_periods_are_calendar_windows(program, period, start, end):
    board = LeaderboardFactory.build(program=program, period=period)
    assert leaderboard_period(board=board, at=NOV_10, tz_name="UTC") == (
        start.replace(tzinfo=UTC),
        end.replace(tzinfo=UTC),
    )


def test_periods_follow_the_programs_time_zone(program):
    board = LeaderboardFactory.build(program=program, period=LeaderboardPeriod.MONTH)
    # 30 Nov 22:00 UTC is already 1 December in Tehran (UTC+3:30)
    start, end = leaderboard_period(board=board, at=datetime(2026, 11, 30, 22, tzinfo=UTC), tz_name="Asia/Tehran")
    assert start == datetime(2026, 11, 30, 20, 30, tzinfo=UTC)
    assert end == datetime(2026, 12, 31, 20, 30, tzinfo=UTC)


def test_quarter_in_december_ends_next_year(program):
    board = LeaderboardFactory.build(program=program, period=LeaderboardPeriod.QUARTER)
    start, end = leaderboard_period(board=board, at=datetime(2026, 12, 31, 23, tzinfo=UTC), tz_name="UTC")
    assert (start.month, end.year, end.month) == (10, 2027, 1)


@pytest.mark.parametrize(
    ("first", "last", "shown"),
    [
        ("Sara", "Karimi", "Sara K."),
        ("Sara Maria", "karimi", "Sara K."),
        ("Sara", "", "Sara"),
        ("", "Karimi", "A member K."),
        ("", "", "A member"),
        ("X" * 40, "Y", "X" * 20 + " Y."),
    ],
)
def test_masked_names(first, last, shown):
    assert masked_name(first, last) == shown
