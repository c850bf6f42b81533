from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from members.choices import TierChangeReason
from members.models import Member, TierChange
from members.services.members import member_upsert
from members.services.tier_recalculation import tiers_recalculate
from tests.factories import ProgramFactory, TierFactory
from tests.members.tiers.conftest import T0, tier_key

# One value per metric that reaches Gold, and the amount an order contributes to it.
GOLD_AT = {"points_earned": "300", "spend": "300.00", "orders": "3"}
PERIODS = ["lifetime", "calendar_year", "rolling_12_months"]


@pytest.fixture
def tiered_other():
    """A member of another program, with its own entry tier, currently without a tier."""

    def make() -> Member:
        other = ProgramFactory()
        TierFactory(program=other, key="green", threshold=0)
        member, _ = member_upsert(program=other, customer_id="other", email="other@example.com")
        Member.objects.filter(pk=member.pk).update(tier=None)
        return member

    return make


def _reach_gold(metric: str, order, at: datetime, customer_id: str = "c1") -> None:
    """Exactly the Gold threshold of `metric`: 300 points or 300.00 spent in 3 orders of 100."""
    for n in range(3):
        order(f"{customer_id}-{at:%Y%m%d}-{n}", "100.00", at=at, customer_id=customer_id)


@pytest.mark.parametrize("metric", GOLD_AT)
@pytest.mark.parametrize("period", PERIODS)
def test_exactly_at_the_threshold_is_gold_one_below_is_green(tiered, order, metric, period):
    # given Gold at 300 points / 300.00 / 3 orders, one member exactly there and one just below
    tiered(metric=metric, period=period, gold=GOLD_AT[metric])
    _reach_gold(metric, order, T0, customer_id="at")
    order("below-1", "100.00", at=T0, customer_id="below")
    order("below-2", "100.00", at=T0, customer_id="below")
    if metric != "orders":
        order("below-3", "99.99", at=T0, customer_id="below")  # 299 points, 299.99 spent
    Member.objects.update(tier=None)  # start from scratch: the job alone decides
    # when the tiers are recalculated a day later
    moved = tiers_recalculate(as_of=T0 + timedelta(days=1))
    # then the member exactly at the threshold is Gold and the one below is Green
    assert (tier_key("at"), tier_key("below")) == ("gold", "green")
    assert moved == 2


@pytest.mark.parametrize("metric", GOLD_AT)
def test_rolling_window_slides_out(tiered, order, metric):
    # given a member who reached Gold with activity at T0, in a rolling 12-month program
    tiered(metric=metric, period="rolling_12_months", gold=GOLD_AT[metric])
    _reach_gold(metric, order, T0)
    assert tier_key() == "gold"
    # when the job runs exactly a year later, the activity is still (just) inside the window
    tiers_recalculate(as_of=T0.replace(year=2027))
    assert tier_key() == "gold"
    # then a moment later it has slid out and the member goes down to Green
    tiers_recalculate(as_of=T0.replace(year=2027) + timedelta(seconds=1))
    assert tier_key() == "green"
    change = TierChange.objects.get(reason=TierChangeReason.RECALCULATED)
    assert (change.from_tier.key, change.to_tier.key) == ("gold", "green")


@pytest.mark.parametrize("metric", GOLD_AT)
def test_calendar_year_resets_on_the_first_of_january(tiered, order, metric):
    # given a member who reached Gold in December 2026, in a calendar-year program
    tiered(metric=metric, period="calendar_year", gold=GOLD_AT[metric])
    december = datetime(2026, 12, 30, tzinfo=UTC)
    _reach_gold(metric, order, december)
    # when the job runs on the last moment of 2026, then on the first of 2027
    tiers_recalculate(as_of=datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC))
    kept = tier_key()
    tiers_recalculate(as_of=datetime(2027, 1, 1, tzinfo=UTC))
    # then Gold is kept to the end of the year and the new year starts from zero
    assert (kept, tier_key()) == ("gold", "green")


def test_calendar_year_follows_the_program_time_zone(tiered, order, program):
    # given a Dubai program (UTC+4) and Gold reached at 22:00 UTC on 31 December, already 2027 in Dubai
    tiered(period="calendar_year")
    program.timezone = "Asia/Dubai"
    program.save()
    _reach_gold("points_earned", order, datetime(2026, 12, 31, 22, 0, tzinfo=UTC))
    # when the job runs at noon on 1 January
    tiers_recalculate(as_of=datetime(2027, 1, 1, 12, 0, tzinfo=UTC))
    # then the activity counts for 2027 there
    assert tier_key() == "gold"


@pytest.mark.parametrize("metric", GOLD_AT)
def test_lifetime_never_downgrades_without_refunds(tiered, order, metric):
    # given a lifetime program and Gold reached long ago
    tiered(metric=metric, period="lifetime", gold=GOLD_AT[metric])
    _reach_gold(metric, order, T0)
    # when the job runs ten years later
    moved = tiers_recalculate(as_of=T0.replace(year=2036))
    # then nothing moves
    assert tier_key() == "gold" and moved == 0


def test_refund_within_the_period_downgrades_at_the_recalculation(tiered, order, refund, assert_ledger_clean):
    # given Gold reached with one 400.00 order in 2026
    tiered(period="calendar_year")
    order("1", "400.00", at=T0)
    # when 150.00 of it is refunded a week later (250 points left), then the job runs
    refund("1", "rf1", "150.00", at=T0 + timedelta(days=7))
    assert tier_key() == "gold"
    tiers_recalculate(as_of=T0 + timedelta(days=8))
    # then the member is Green again
    assert tier_key() == "green"
    assert_ledger_clean()


def test_refund_in_the_next_period_nets_against_the_order_s_period(tiered, order, refund, assert_ledger_clean):
    # given 400 points earned in December 2026 and 300 more in January 2027 (Gold in 2027)
    tiered(period="calendar_year")
    order("dec", "400.00", at=datetime(2026, 12, 20, tzinfo=UTC))
    order("jan", "300.00", at=datetime(2027, 1, 10, tzinfo=UTC))
    # when the December order is refunded in full in January
    refund("dec", "rf-dec", "400.00", at=datetime(2027, 1, 12, tzinfo=UTC))
    tiers_recalculate(as_of=datetime(2027, 1, 13, tzinfo=UTC))
    # then 2027 still counts its own 300 points: the refund only takes from 2026
    assert tier_key() == "gold"
    tiers_recalculate(as_of=datetime(2026, 12, 31, tzinfo=UTC))
    assert tier_key() == "green"
    assert_ledger_clean()


def test_job_is_idempotent_for_the_same_as_of(tiered, order):
    # given members at several levels and a first run
    tiered(period="rolling_12_months")
    _reach_gold("points_earned", order, T0, customer_id="a")
    order("b1", "10.00", at=T0, customer_id="b")
    as_of = T0.replace(year=2027) + timedelta(days=1)
    first = tiers_recalculate(as_of=as_of)
    history = TierChange.objects.count()
    # when it runs again for the same as-of
    second = tiers_recalculate(as_of=as_of)
    # then nothing changes the second time
    assert (first, second) == (1, 0)
    assert TierChange.objects.count() == history


def test_job_upgrades_members_the_real_time_path_missed(tiered, order, program):
    # given Gold lowered from 300 to 100 after the member earned 150
    tiered()
    order("1", "150.00")
    program.tiers.filter(key="gold").update(threshold=100)
    # when the job runs
    tiers_recalculate(as_of=T0 + timedelta(days=1))
    # then the member is moved up with reason `recalculated` at the as-of time
    change = TierChange.objects.get(reason=TierChangeReason.RECALCULATED)
    assert (tier_key(), change.created_at) == ("gold", T0 + timedelta(days=1))
    assert Member.objects.get().tier_achieved_at == T0 + timedelta(days=1)


def test_manual_tiers_are_left_alone(tiered, order, program):
    # given a member locked in invite-only Reserve, with no activity in the window
    tiered(period="rolling_12_months")
    member = order("1", "10.00").member
    Member.objects.filter(pk=member.pk).update(tier=program.tiers.get(key="reserve"), tier_locked=True)
    # when the job runs
    tiers_recalculate(as_of=T0.replace(year=2030))
    # then Reserve is kept
    assert tier_key() == "reserve"


def test_job_walks_members_in_chunks_and_other_programs_too(tiered, order, program, tiered_other):
    # given five Gold-worthy members in this program, set back to no tier, and one in another program
    tiered()
    for n in range(5):
        _reach_gold("points_earned", order, T0, customer_id=f"c{n}")
    Member.objects.update(tier=None)
    other_member = tiered_other()
    # when the job runs with chunks of two members
    moved = tiers_recalculate(as_of=T0 + timedelta(days=1), chunk_size=2)
    # then everyone is re-tiered, each program with its own tiers
    assert moved == 6
    assert {tier_key(f"c{n}") for n in range(5)} == {"gold"}
    other_member.refresh_from_db()
    assert other_member.tier.program_id == other_member.program_id


def test_run_job_command_runs_the_recalculation_as_of(tiered, order, capsys):
    # given a member whose Gold activity slid out of the rolling window
    tiered(period="rolling_12_months")
    _reach_gold("points_earned", order, T0)
    # when `run_job recalculate_tiers --as-of` runs two years later
    call_command("run_job", "recalculate_tiers", "--as-of", "2028-03-10T12:00:00+00:00")
    # then the member is Green and the command says how many moved
    assert tier_key() == "green"
    assert "1 rows" in capsys.readouterr().out


def _queries_to_recalculate(order, members: int, as_of: datetime) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(members):
        order(f"q{as_of:%Y}-{n}", "400.00", at=as_of - timedelta(days=1), customer_id=f"q{as_of:%Y}-{n}")
    Member.objects.update(tier=None)
    with CaptureQueriesContext(connection) as queries:
        moved = tiers_recalculate(as_of=as_of)
    assert moved == Member.objects.count()
    return len(queries)


def test_job_issues_the_same_number_of_queries_for_3_or_30_members(tiered, order):
    # given a program, re-tiered once with 3 members, then again with 30
    tiered()
    # when the queries of each run are counted
    few = _queries_to_recalculate(order, 3, datetime(2027, 6, 1, tzinfo=UTC))
    many = _queries_to_recalculate(order, 27, datetime(2028, 6, 1, tzinfo=UTC))
    # then they do not grow with the number of members
    assert few == many
