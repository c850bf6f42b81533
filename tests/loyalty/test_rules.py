from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from loyalty.choices import RuleType
from loyalty.models import EarningRule, Program
from loyalty.rules import order_points

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _program(rate="1") -> Program:
    return Program(slug="p", name="P", currency="USD", points_per_currency_unit=Decimal(rate))


def _bonus(multiplier, starts_at=None, ends_at=None, active=True) -> EarningRule:
    return EarningRule(
        key="bonus",
        type=RuleType.BONUS_MULTIPLIER,
        multiplier=Decimal(multiplier),
        starts_at=starts_at,
        ends_at=ends_at,
        active=active,
    )


def _threshold(min_subtotal, points) -> EarningRule:
    return EarningRule(key="big", type=RuleType.ORDER_THRESHOLD, min_subtotal=Decimal(min_subtotal), points=points)


@pytest.mark.parametrize(
    ("rate", "subtotal", "tier", "expected"),
    [
        ("1", "49.99", "1", 49),
        ("0.1", "19.99", "1", 1),  # 1.999 floors to 1
        ("0.1", "10.00", "1", 1),  # exactly 1.0: a float product would be 0.9999…
        ("0.3", "3.00", "1", 0),  # 0.9 floors to 0
        ("0.7", "10.00", "3", 21),  # float: 20.999999999999996
        ("1", "19.99", "1.25", 24),  # 24.9875
        ("2.5", "0.39", "1", 0),  # 0.975
        ("1", "0.00", "1", 0),
    ],
)
def test_order_points_floor_of_exact_decimal_product(rate, subtotal, tier, expected):
    # given a rate and a tier multiplier
    program = _program(rate)
    # when the order's points are computed
    points = order_points(
        program=program, rules=[], subtotal=Decimal(subtotal), placed_at=NOON, tier_multiplier=Decimal(tier)
    )
    # then they are the floor of the exact decimal product
    assert points == expected


def test_order_points_accepts_a_rate_assigned_as_float():
    # given a program whose rate was assigned as a float and not yet reloaded
    program = Program(slug="p", name="P", currency="USD", points_per_currency_unit=0.1)
    # when the order's points are computed
    points = order_points(program=program, rules=[], subtotal=Decimal("10.00"), placed_at=NOON)
    # then 0.1 means exactly one tenth
    assert points == 1


def test_order_points_bonus_window_is_half_open():
    # given a double-points campaign from 12:00 to 14:00
    rules = [_bonus("2", starts_at=NOON, ends_at=NOON + timedelta(hours=2))]
    program = _program()

    def at(moment):
        return order_points(program=program, rules=rules, subtotal=Decimal("10.00"), placed_at=moment)

    # when orders are placed around the window's edges
    # then the start is inside, the end is outside
    assert at(NOON - timedelta(microseconds=1)) == 10
    assert at(NOON) == 20
    assert at(NOON + timedelta(hours=2) - timedelta(microseconds=1)) == 20
    assert at(NOON + timedelta(hours=2)) == 10


def test_order_points_multiplies_every_live_bonus_and_the_tier():
    # given two overlapping campaigns, one inactive campaign and a gold tier
    rules = [_bonus("2"), _bonus("1.5"), _bonus("10", active=False)]
    # when an order of 19.99 is computed
    points = order_points(
        program=_program("1"),
        rules=rules,
        subtotal=Decimal("19.99"),
        placed_at=NOON,
        tier_multiplier=Decimal("1.25"),
    )
    # then 19.99 × 1.25 × 2 × 1.5 = 74.9625 floors to 74
    assert points == 74


def test_order_points_threshold_adds_flat_points_from_the_minimum_on():
    # given a 200-point bonus for baskets of 100.00 or more
    rules = [_threshold("100.00", 200), _threshold("500.00", 1000)]
    program = _program("1")

    def points(subtotal):
        return order_points(program=program, rules=rules, subtotal=Decimal(subtotal), placed_at=NOON)

    # then 99.99 misses it, 100.00 reaches it, and the flat points are not multiplied
    assert points("99.99") == 99
    assert points("100.00") == 300
    assert points("500.00") == 1700


def test_order_points_threshold_is_not_multiplied_by_bonuses():
    # given a double-points campaign and a threshold rule
    rules = [_bonus("2"), _threshold("10.00", 5)]
    # when an order reaches the threshold
    points = order_points(program=_program("1"), rules=rules, subtotal=Decimal("10.00"), placed_at=NOON)
    # then the campaign doubles the rate points only
    assert points == 25


def test_order_points_is_exact_beyond_the_default_decimal_precision():
    # given factors whose product needs more than Decimal's default 28 digits
    # (the default context rounds it up to the next integer)
    rules = [_bonus("687.4113"), _bonus("811.7545")]
    # when the order's points are computed
    points = order_points(
        program=_program("9922.6532"),
        rules=rules,
        subtotal=Decimal("772936318792.39"),
        placed_at=NOON,
        tier_multiplier=Decimal("943.5265"),
    )
    # then the floor is of the exact product
    assert points == 4038006386487840546785258
