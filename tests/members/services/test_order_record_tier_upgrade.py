"""The tier upgrade an order earns (members/services/orders.py): on PostgreSQL made inside the order's write statement
(order_sql.order_write), on SQLite through the ORM (tiers.tier_upgrade). Either way the answer, the member row, the
'earned' TierChange row and the log line are what the rule of `tier_for_units` above the member's rank gives."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Max
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS

from loyalty.choices import TierMetric, TierPeriod
from members.choices import TierChangeReason
from members.models import Member, TierChange
from members.services import order_sql
from members.services.orders import OrderResult, order_record
from members.services.tiers import member_next_tier, member_tier_assign
from members.tier_selectors import member_tier_units_sql, tier_for_units, tier_upgrade_target, tier_upgrades
from tests.factories import ProgramFactory, TierFactory

LOGGER = "members.services.tiers"


def _ladder(program, metric=TierMetric.POINTS_EARNED, *, silver="100", gold="500", platinum="2000", reserve=True):
    """Bronze (entry), Silver, Gold, invite-only Reserve (unless not `reserve`), Platinum, by rank."""
    program.tier_metric, program.tier_period = metric, TierPeriod.ROLLING_12_MONTHS
    program.save()
    TierFactory(program=program, key="bronze", name="Bronze", position=1, threshold=Decimal("0"))
    TierFactory(program=program, key="silver", name="Silver", position=2, threshold=Decimal(silver))
    TierFactory(program=program, key="gold", name="Gold", position=3, threshold=Decimal(gold))
    if reserve:
        TierFactory(program=program, key="reserve", name="Reserve", position=4, threshold=None, invite_only=True)
    if platinum:
        TierFactory(program=program, key="platinum", name="Platinum", position=5, threshold=Decimal(platinum))


def _fresh(result) -> Member:
    return Member.objects.select_related("program", "tier").get(pk=result.member.pk)


@dataclass(frozen=True)
class Placed:
    """An order's result, its tier log lines and its 'earned' tier changes (not those of the orders before)."""

    result: OrderResult
    lines: list[str]
    earned: list[tuple]


@pytest.fixture
def order(place_order, caplog):
    """`order(order_id, subtotal, **kw)`: `place_order`, and what it logged and wrote about tiers."""

    def place(*args, **kwargs) -> Placed:
        before = TierChange.objects.aggregate(last=Max("pk"))["last"] or 0
        caplog.clear()
        with caplog.at_level(logging.INFO, logger=LOGGER):
            result = place_order(*args, **kwargs)
        lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
        earned = TierChange.objects.filter(pk__gt=before, reason=TierChangeReason.EARNED).values_list(
            "from_tier__key", "to_tier__key", "acting_user", "created_at", "notified_at"
        )
        return Placed(result, lines, list(earned))

    return place


def _assert_moved(placed: Placed, *, from_key, to_key) -> None:
    """The answer, the member row, the one 'earned' change and the one log line of an order that moved the member."""
    result = placed.result
    member = _fresh(result)
    at = member.tier_achieved_at  # the order's moment (SQLite's ORM stamps the order row itself a little later)
    assert abs(at - result.order.created_at) < timedelta(seconds=1)
    assert result.member.tier.key == to_key and result.member.tier_id == member.tier_id
    assert (member.tier.key, member.tier_locked, result.member.tier_achieved_at) == (to_key, False, at)
    assert member.updated_at >= at
    assert placed.earned == [(from_key, to_key, None, at, None)]
    assert placed.lines == [
        f"tier changed program={member.program_id} customer_id={member.customer_id} from={from_key} to={to_key}"
        " reason=earned acting_user=None"
    ]
    assert result.next_tier == member_next_tier(member=member)


def _assert_stayed(placed: Placed, *, key) -> None:
    result = placed.result
    member = _fresh(result)
    assert result.member.tier_id == member.tier_id
    assert (member.tier.key if member.tier else None) == key
    assert placed.earned == [] and placed.lines == []
    assert result.next_tier == member_next_tier(member=member)


@pytest.mark.parametrize(
    "first, second, to_key, next_tier",
    [
        # one tier: 60 + 50 points pass Silver (100); Gold (500) is 390 away
        ("60.00", "50.00", "silver", {"key": "gold", "name": "Gold", "remaining": 390}),
        # two tiers at once: 10 + 600 pass Silver and Gold, one change Bronze -> Gold; Platinum (2000) is 1390 away
        ("10.00", "600.00", "gold", {"key": "platinum", "name": "Platinum", "remaining": 1390}),
    ],
)
def test_an_order_moves_the_member_up(
    program, place_order, order, assert_ledger_clean, first, second, to_key, next_tier
):
    # given a Bronze member with some points
    _ladder(program)
    place_order("1", first)

    # when an order takes them past one threshold or more
    placed = order("2", second)

    # then they are in the highest tier reached, dated by the order, with one 'earned' change and its log line
    _assert_moved(placed, from_key="bronze", to_key=to_key)
    assert placed.result.next_tier == next_tier
    assert_ledger_clean()


def test_a_new_customers_first_order_moves_them_up_from_the_entry_tier(program, place_order, order):
    # given a program with tiers and no member for the customer
    _ladder(program)

    # when their first order is worth Gold
    placed = order("1", "700.00", customer_id="newcomer")

    # then the member is created in Bronze, then moved up to Gold by the order
    _assert_moved(placed, from_key="bronze", to_key="gold")
    assert TierChange.objects.filter(member=placed.result.member, reason=TierChangeReason.JOINED).count() == 1


def test_a_locked_tier_is_never_moved_by_an_order(program, place_order, order):
    # given a member put in Bronze by hand
    _ladder(program)
    member = place_order("1", "10.00").member
    member_tier_assign(member=member, tier_key="bronze")

    # when they earn past Platinum
    placed = order("2", "5000.00")

    # then they stay in Bronze, locked
    _assert_stayed(placed, key="bronze")
    assert _fresh(placed.result).tier_locked


def test_an_invite_only_tier_is_never_reached_and_is_jumped_over(program, place_order, order):
    # given a Gold member, with only invite-only Reserve then Platinum (2000) above
    _ladder(program)
    place_order("1", "600.00")

    # when they earn more, but not Platinum
    stayed = order("2", "1000.00")
    # then they stay in Gold, and the next tier is Platinum, not Reserve
    _assert_stayed(stayed, key="gold")
    assert stayed.result.next_tier == {"key": "platinum", "name": "Platinum", "remaining": 400}

    # when they reach Platinum
    moved = order("3", "400.00")
    # then they move over Reserve to Platinum
    _assert_moved(moved, from_key="gold", to_key="platinum")
    assert moved.result.next_tier is None


def test_only_an_invite_only_tier_above_moves_nobody(program, place_order, order):
    # given a Gold member with nothing above but invite-only Reserve
    _ladder(program, platinum=None)
    place_order("1", "600.00")

    # when they earn a lot more
    placed = order("2", "9000.00")

    # then they stay in Gold, with no next tier
    _assert_stayed(placed, key="gold")
    assert placed.result.next_tier is None


def test_a_program_without_tiers_moves_nobody(program, place_order, order):
    # when a member of a program without tiers places a large order
    placed = order("1", "9000.00")

    # then they have no tier, no change and no next tier
    _assert_stayed(placed, key=None)
    assert placed.result.next_tier is None and not TierChange.objects.exists()


def test_pending_points_do_not_move_the_member_until_active(program, place_order, order):
    # given points pending for 14 days, and a member with 150 points pending
    _ladder(program)
    place_order("1", "10.00")
    program.pending_days = 14
    program.save()
    place_order("2", "150.00")
    program.pending_days = 0
    program.save()

    # when an active order brings 60 points (10 + 60 active: Silver needs 100)
    stayed = order("3", "60.00")
    # then the pending points do not count: Bronze
    _assert_stayed(stayed, key="bronze")
    assert stayed.result.next_tier == {"key": "silver", "name": "Silver", "remaining": 30}

    # when 30 more active points arrive
    moved = order("4", "30.00")
    # then the member reaches Silver exactly
    _assert_moved(moved, from_key="bronze", to_key="silver")


def test_the_spend_metric_moves_the_member_at_the_cent(program, place_order, order):
    # given tiers on spend: Silver at 100.00
    _ladder(program, TierMetric.SPEND)
    place_order("1", "99.98")

    # when 0.01 more is spent: a cent short
    stayed = order("2", "0.01")
    _assert_stayed(stayed, key="bronze")
    assert stayed.result.next_tier == {"key": "silver", "name": "Silver", "remaining": "0.01"}

    # when the last cent is spent
    moved = order("3", "0.01")
    # then Silver, and Gold is 400.00 away
    _assert_moved(moved, from_key="bronze", to_key="silver")
    assert moved.result.next_tier == {"key": "gold", "name": "Gold", "remaining": "400.00"}


def test_the_orders_metric_moves_the_member_on_the_order_that_counts(program, place_order, order):
    # given tiers on the number of orders: Silver at 2, Gold at 3
    _ladder(program, TierMetric.ORDERS, silver="2", gold="3", platinum="10")
    place_order("1", "1.00")

    # when the second and third orders arrive
    second = order("2", "1.00")
    _assert_moved(second, from_key="bronze", to_key="silver")
    third = order("3", "1.00")

    # then each moved the member one tier up
    _assert_moved(third, from_key="silver", to_key="gold")
    assert TierChange.objects.filter(reason=TierChangeReason.EARNED).count() == 2


def test_an_upgrading_order_costs_no_statement_more_on_postgresql(
    program, place_order, settings, django_assert_num_queries
):
    # given a warm configuration and a Bronze member 10 points below Silver
    settings.PROGRAM_CONFIG_CACHE_SECONDS = 3600
    _ladder(program)
    place_order("1", "90.00")

    # when the order that takes them to Silver is recorded
    # then PostgreSQL runs the savepoint (2), the lock and the one write statement, as for any order (the ORM's
    # tier UPDATE and TierChange INSERT were 2 more); SQLite the savepoint, the lock, the metric, the three writes
    # and those two
    with django_assert_num_queries(4 if connection.vendor == "postgresql" else 9):
        result = place_order("2", "10.00")
    assert result.member.tier.key == "silver"


# --- the rule: the statement's choice is `tier_for_units` above the member's rank ----------------------------


def _old_rule(program, tiers, member, units):
    """The tier earning moved a member to before the write statement chose it (`tier_standing_with_units`)."""
    if member.tier_locked:
        return None
    target = tier_for_units(program=program, tiers=tiers, units=units)
    rank = {tier.pk: index for index, tier in enumerate(tiers)}
    if member.tier_id is not None and member.tier_id not in rank:
        return None  # a tier the list does not hold (newer than a cached configuration): its rank is unknown
    if target is None or rank[target.pk] <= rank.get(member.tier_id, -1):
        return None
    return target


# (threshold, invite-only) by rank: thresholds need not rise with rank
ladders = st.lists(st.tuples(st.sampled_from([0, 50, 100, 200, 400]), st.booleans()), min_size=1, max_size=5)


@settings(max_examples=300, deadline=None)
@given(ladder=ladders, rank=st.integers(min_value=-1, max_value=5), locked=st.booleans(), units=st.integers(0, 500))
def test_the_upgrade_helpers_are_the_rule(ladder, rank, locked, units):
    # given any ladder, a member in any tier of it (or none, or one it does not hold), locked or not
    program = ProgramFactory.build(tier_metric=TierMetric.POINTS_EARNED)
    tiers = [
        TierFactory.build(pk=n + 1, position=n, threshold=None if invite else Decimal(t), invite_only=invite)
        for n, (t, invite) in enumerate(ladder)
    ]
    member = Member(program=program, tier_id=rank + 1 if rank >= 0 else None, tier_locked=locked)
    # then the tier the helpers choose for any metric value is the rule's
    assert tier_upgrade_target(tier_upgrades(member=member, tiers=tiers), units) == _old_rule(
        program, tiers, member, units
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ladder=ladders,
    rank=st.integers(min_value=-1, max_value=4),
    locked=st.booleans(),
    points=st.sampled_from([0, 48, 49, 99, 149, 199, 399, 400]),
)
def test_the_order_moves_the_member_where_the_rule_says(db, ladder, rank, locked, points):
    # given any ladder of tiers, and a member with 1 point in any of them (or none), locked or not
    program = ProgramFactory()
    tiers = [
        TierFactory(program=program, position=n, threshold=None if invite else Decimal(t), invite_only=invite)
        for n, (t, invite) in enumerate(ladder)
    ]
    order = {"program": program, "customer_id": "c", "email": "c@example.com", "currency": "USD"}
    order_record(order_id="0", subtotal=Decimal("1"), **order)
    tier = tiers[rank] if 0 <= rank < len(tiers) else None
    Member.objects.filter(program=program).update(tier=tier, tier_locked=locked)
    member = Member.objects.select_related("program", "tier").get(program=program)
    expected = _old_rule(program, tiers, member, 1 + points)
    before = TierChange.objects.aggregate(last=Max("pk"))["last"]

    # when an order worth `points` arrives (1 point per dollar, every tier x1)
    result = order_record(order_id="1", subtotal=Decimal(points), **order)

    # then the member is where the rule puts them, with an 'earned' change only if they moved
    assert result.order.points_awarded == points
    moved_to = expected or tier
    assert Member.objects.get(pk=member.pk).tier_id == result.member.tier_id == (moved_to.pk if moved_to else None)
    earned = TierChange.objects.filter(pk__gt=before, member=member, reason=TierChangeReason.EARNED)
    assert [(c.from_tier_id, c.to_tier_id) for c in earned] == ([(member.tier_id, expected.pk)] if expected else [])


@pytest.mark.parametrize("metric", TierMetric.values)
@pytest.mark.parametrize("period", TierPeriod.values)
def test_the_largest_write_statement_stays_within_what_psycopg_caches(metric, period):
    # given the order's write statement with every part (a ledger row, the metric, the next lot, the upgrade)
    program = ProgramFactory.build(pk=1, tier_metric=metric, tier_period=period)
    sql = order_sql._write_sql(with_row=True, with_units=True, with_lot=True, with_tiers=True)
    units_sql, _ = member_tier_units_sql(program=program, at=timezone.now(), member_sql=order_sql._MEMBER)
    sql = sql.replace("{units}", units_sql)
    # then psycopg keeps its parsing of the statement (past 50 parameters or 4,096 bytes it parses it on every
    # order: ~0.5 ms of Python)
    assert sql.count("%s") <= MAX_CACHED_STATEMENT_PARAMS
    assert len(sql.encode()) <= MAX_CACHED_STATEMENT_LENGTH
