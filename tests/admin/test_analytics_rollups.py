"""The `refresh_analytics` job: incremental refreshes end where a full rebuild does, whatever changed in
between (new rows on old days, pending points activated, redemptions cancelled); distinct members over ranges
of months are exact; the job is registered, idempotent and scoped to its program."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.core.management import call_command
from django.utils import timezone

from analytics.models import MemberMonthStep, ProgramDay, RewardDay, RollupState, TierMoveDay
from analytics.selectors import distinct_members
from analytics.services.rollups import rollups_rebuild
from loyalty.choices import RewardType
from members.jobs import JOBS, run_job
from members.models import Order
from members.services.pending import activate_pending_points
from rewards.services.redemptions import redemption_cancel, reward_redeem
from tests.admin.conftest import member_of
from tests.admin.test_dashboard import buy, shop  # noqa: F401  (the hand-computed shop fixture)
from tests.factories import ProgramFactory, RewardFactory


def rollup_rows(program) -> dict:
    """Every rollup row of the program, without ids, in a comparable order."""

    def rows(model, *fields):
        return sorted(model.objects.filter(program=program).values_list(*fields), key=repr)

    state = RollupState.objects.get(program=program)
    return {
        "days": rows(ProgramDay, "day", "new_members", "points_issued", "points_redeemed", "points_expired",
                     "orders", "order_net"),
        "steps": rows(MemberMonthStep, "source", "month", "prev_month", "prev2_month", "n"),
        "tiers": rows(TierMoveDay, "day", "from_tier_id", "to_tier_id", "reason", "n"),
        "rewards": rows(RewardDay, "day", "reward_id", "redemptions", "points", "value"),
        "state": (state.members, state.points_outstanding, state.points_pending, state.tier_counts),
    }  # fmt: skip


def test_an_incremental_refresh_ends_where_a_rebuild_does(shop):  # noqa: F811
    # given the rollups refreshed once
    run_job("refresh_analytics", timezone.now())
    # when an order lands on a day 40 days back, a new member buys, a redemption is cancelled, and it refreshes
    buy(shop, "late", "ann", "25.00", placed_at=timezone.now() - timedelta(days=40))
    buy(shop, "e1", "eve", "15.00")
    redemption_cancel(redemption=shop_redemption(shop))
    run_job("refresh_analytics", timezone.now())
    incremental = rollup_rows(shop)
    # then the rows are those of a rebuild from scratch
    rollups_rebuild(program=shop)
    assert rollup_rows(shop) == incremental
    assert not RewardDay.objects.filter(program=shop).exists()  # the only redemption was cancelled


def shop_redemption(program):
    from rewards.models import Redemption

    return Redemption.objects.get(program=program)


def test_pending_points_count_once_they_are_active(db):
    # given a program holding order points 14 days, and a refresh while they are pending
    program = ProgramFactory(currency="EUR", pending_days=14)
    buy(program, "p1", "pam", "70.00")
    run_job("refresh_analytics", timezone.now())
    assert ProgramDay.objects.get(program=program).points_issued == 0
    # when they become spendable (15 days later) and the rollups refresh again
    later = timezone.now() + timedelta(days=15)
    assert activate_pending_points(later) == 1
    run_job("refresh_analytics", later)
    # then the day they were earned shows them
    assert ProgramDay.objects.get(program=program).points_issued == 70
    assert RollupState.objects.get(program=program).pending_since is None


def test_distinct_buyers_and_repeat_buyers_over_ranges_of_months(db):
    # given Ann ordering in January, March and March again, Bob in February only (this year)
    program = ProgramFactory(currency="EUR", timezone="UTC")
    ann, bob = member_of(program, "ann"), member_of(program, "bob")
    year = timezone.now().year
    for member, order_id, month, day in [(ann, "a1", 1, 5), (ann, "a2", 3, 1), (ann, "a3", 3, 31), (bob, "b1", 2, 9)]:
        placed = datetime(year, month, day, 12, tzinfo=timezone.get_current_timezone())
        Order.objects.create(program=program, member=member, order_id=order_id, subtotal=Decimal("10"),
                             currency="EUR", placed_at=placed)  # fmt: skip
    run_job("refresh_analytics", timezone.now())

    def figures(first, last):
        got = distinct_members(
            program=program, first=datetime(year, first, 1).date(), last=datetime(year, last, 1).date()
        )
        return got["buyers"], got["repeat"]

    # then each range counts each member once, and repeat buyers are those with two orders inside it
    assert figures(1, 1) == (1, 0)
    assert figures(1, 2) == (2, 0)
    assert figures(2, 3) == (2, 1)
    assert figures(3, 3) == (1, 1)
    assert figures(1, 3) == (2, 1)
    assert figures(4, 12) == (0, 0)


def test_the_job_is_registered_idempotent_and_per_program(shop):  # noqa: F811
    # given another program with its own member and reward redemption
    other = ProgramFactory(currency="EUR")
    reward = RewardFactory(program=other, key="o", type=RewardType.FIXED_DISCOUNT, points_cost=10, value=Decimal("1"))
    member = buy(other, "x1", "xavier", "20.00")
    reward_redeem(member=member, reward=reward)
    # when the job runs twice for the same as-of
    at = timezone.now()
    assert "refresh_analytics" in JOBS
    run_job("refresh_analytics", at)
    first = rollup_rows(shop), rollup_rows(other)
    run_job("refresh_analytics", at)
    # then nothing changes, and each program's rows hold only its own figures
    assert (rollup_rows(shop), rollup_rows(other)) == first
    assert RollupState.objects.get(program=other).members == 1
    assert sum(row[1] for row in first[1]["days"]) == 1
    assert [row[1] for row in first[1]["rewards"]] == [reward.pk]


def test_the_rebuild_command_recomputes_every_program(shop, capsys):  # noqa: F811
    # given rollups that went wrong (a row deleted by hand)
    run_job("refresh_analytics", timezone.now())
    before = rollup_rows(shop)
    ProgramDay.objects.filter(program=shop).delete()
    # when the rebuild command runs
    call_command("analytics_rebuild", "--program", shop.slug)
    # then the rows are back
    assert rollup_rows(shop) == before
    assert shop.slug in capsys.readouterr().out
