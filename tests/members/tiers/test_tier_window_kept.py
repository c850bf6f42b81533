"""`tier_window` keeps the last window it worked out (an order asks for its moment's twice) and thresholds are
converted once: whatever the order of the calls, each answer is the one worked out afresh for that program and
moment."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from loyalty.choices import TierMetric, TierPeriod
from loyalty.models import Program
from members.tier_selectors import _tier_window, tier_threshold_units, tier_window

ZONES = ("UTC", "Europe/Paris", "Pacific/Kiritimati", "America/St_Johns")


def test_each_window_is_its_programs_and_moments_whatever_was_asked_before():
    # given programs of every period in several zones, and moments around new year (some the same value, other
    # objects) asked in a random order, each moment often twice in a row
    rng = random.Random(3)
    programs = [Program(tier_period=period, timezone=zone) for period in TierPeriod.values for zone in ZONES]
    new_year = datetime(2026, 1, 1, tzinfo=UTC)
    moments = [new_year + timedelta(hours=rng.uniform(-30, 30)) for _ in range(200)]
    moments += [moment.replace() for moment in moments[:50]]  # equal values, other objects
    for _ in range(5_000):
        program, at = rng.choice(programs), rng.choice(moments)
        for _twice in range(rng.choice((1, 2))):
            # then the window is the one worked out afresh
            assert tier_window(program=program, at=at) == _tier_window(program.tier_period, program.timezone, at)


def test_a_program_changed_between_two_asks_of_one_moment_gets_its_new_window():
    # given a window asked for a moment
    program = Program(tier_period=TierPeriod.ROLLING_12_MONTHS, timezone="UTC")
    at = datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert tier_window(program=program, at=at).start == datetime(2025, 6, 1, 12, tzinfo=UTC)

    # when the program's period, then its zone, changes and the same moment is asked again
    program.tier_period = TierPeriod.CALENDAR_YEAR
    calendar = tier_window(program=program, at=at)
    program.timezone = "Pacific/Kiritimati"  # UTC+14: its year started the evening before, in UTC
    zoned = tier_window(program=program, at=at)

    # then each answer is the program's as it is
    assert calendar.start == datetime(2026, 1, 1, tzinfo=UTC)
    assert zoned.start == datetime(2025, 12, 31, 10, tzinfo=UTC)


def test_a_threshold_is_converted_by_its_programs_metric():
    # given the same threshold under each metric
    threshold = Decimal("12.345")
    units = {
        metric: tier_threshold_units(program=Program(tier_metric=metric), threshold=threshold)
        for metric in TierMetric.values
    }

    # then spend is in cents and the others whole units, as often as it is asked
    assert units == {TierMetric.SPEND: 1234, TierMetric.POINTS_EARNED: 12, TierMetric.ORDERS: 12}
    assert tier_threshold_units(program=Program(tier_metric=TierMetric.SPEND), threshold=threshold) == 1234
