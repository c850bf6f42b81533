from datetime import UTC, datetime, timedelta

import pytest

from loyalty.periods import period_bounds


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_day_is_the_local_calendar_day():
    # given 23:30 UTC, which is already the next day in Tehran (+03:30)
    at = _utc(2026, 11, 23, 23, 30)
    # when the day around it is computed in Tehran
    start, end = period_bounds("day", at, "Asia/Tehran")
    # then it is Tehran's 24th, midnight to midnight
    assert start == _utc(2026, 11, 23, 20, 30)
    assert end == _utc(2026, 11, 24, 20, 30)


def test_bounds_are_half_open_and_contiguous():
    # given the last microsecond of a day and the first of the next
    last = _utc(2026, 5, 31, 23, 59, 59, 999999)
    # then the first belongs to the old day, and the next day starts exactly where it ends
    _start, end = period_bounds("day", last, "UTC")
    assert last < end
    next_start, _ = period_bounds("day", end, "UTC")
    assert next_start == end


def test_day_of_spring_forward_is_23_hours():
    # given Berlin's spring-forward day (29 March 2026)
    start, end = period_bounds("day", _utc(2026, 3, 29, 12), "Europe/Berlin")
    # then it runs from 23:00 UTC (+01:00) to 22:00 UTC (+02:00)
    assert start == _utc(2026, 3, 28, 23)
    assert end == _utc(2026, 3, 29, 22)
    assert end - start == timedelta(hours=23)


def test_day_of_fall_back_is_25_hours():
    # given Berlin's fall-back day (25 October 2026), in its repeated hour
    at = _utc(2026, 10, 25, 1, 30)  # 02:30 local, the second time
    start, end = period_bounds("day", at, "Europe/Berlin")
    # then it is 25 hours long
    assert start == _utc(2026, 10, 24, 22)
    assert end == _utc(2026, 10, 25, 23)


def test_day_starts_at_the_first_of_a_repeated_midnight():
    # given Havana, where clocks fall back from 01:00 to 00:00 (1 November 2026), at 00:30 the second time
    at = _utc(2026, 11, 1, 5, 30)  # 00:30 CST (-05:00)
    start, end = period_bounds("day", at, "America/Havana")
    # then the day began at the first midnight (-04:00)
    assert start == _utc(2026, 11, 1, 4)
    assert end == _utc(2026, 11, 2, 5)


def test_day_without_a_midnight_starts_when_the_clock_jumps():
    # given Santiago, where 00:00 does not exist on 6 September 2026 (clocks jump to 01:00, -04:00 → -03:00)
    start, end = period_bounds("day", _utc(2026, 9, 6, 15), "America/Santiago")
    # then the day starts at the jump, where the previous day ended
    assert start == _utc(2026, 9, 6, 4)
    assert end == _utc(2026, 9, 7, 3)
    _, previous_end = period_bounds("day", start - timedelta(microseconds=1), "America/Santiago")
    assert previous_end == start


def test_week_starts_on_monday_across_a_dst_change():
    # given Sunday 29 March 2026 in Berlin (the week spans the DST change)
    start, end = period_bounds("week", _utc(2026, 3, 29, 12), "Europe/Berlin")
    # then the week is Monday 23 00:00 +01:00 to Monday 30 00:00 +02:00
    assert start == _utc(2026, 3, 22, 23)
    assert end == _utc(2026, 3, 29, 22)


@pytest.mark.parametrize(
    ("at", "start", "end"),
    [
        (_utc(2026, 12, 31, 23, 59), _utc(2026, 12, 1), _utc(2027, 1, 1)),
        (_utc(2026, 2, 28, 12), _utc(2026, 2, 1), _utc(2026, 3, 1)),
        (_utc(2028, 2, 29, 12), _utc(2028, 2, 1), _utc(2028, 3, 1)),
    ],
)
def test_month_rolls_over_the_year(at, start, end):
    assert period_bounds("month", at, "UTC") == (start, end)


def test_year_in_the_program_zone():
    # given 1 January 02:00 in Tokyo, still 31 December in UTC
    at = _utc(2026, 12, 31, 17)
    # then the year is Tokyo's 2027
    assert period_bounds("year", at, "Asia/Tokyo") == (_utc(2026, 12, 31, 15), _utc(2027, 12, 31, 15))


def test_lifetime_has_no_bounds():
    assert period_bounds("lifetime", _utc(2026, 1, 1), "UTC") is None


def test_naive_datetimes_and_unknown_periods_are_refused():
    with pytest.raises(ValueError):
        period_bounds("day", datetime(2026, 1, 1), "UTC")
    with pytest.raises(ValueError):
        period_bounds("fortnight", _utc(2026, 1, 1), "UTC")
