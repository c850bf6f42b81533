"""Calendar windows in a program's time zone: rule limits (day/week/month/year) and tier periods."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from loyalty.choices import LimitPeriod


def period_bounds(period: str, at: datetime, tz_name: str = "UTC") -> tuple[datetime, datetime] | None:
    """[start, end) of the calendar `period` containing `at`, or None for `lifetime`. Weeks start on Monday."""
    if period == LimitPeriod.LIFETIME:
        return None
    if at.tzinfo is None:
        raise ValueError("period_bounds needs an aware datetime")
    tz = ZoneInfo(tz_name)
    local = at.astimezone(tz)
    # fold=0: where a DST change repeats midnight, the day starts at the first one.
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
    if period == LimitPeriod.DAY:
        start, end = midnight, midnight + timedelta(days=1)
    elif period == LimitPeriod.WEEK:
        start = midnight - timedelta(days=local.weekday())
        end = start + timedelta(days=7)
    elif period == LimitPeriod.MONTH:
        start = midnight.replace(day=1)
        end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    elif period == LimitPeriod.YEAR:
        start = midnight.replace(month=1, day=1)
        end = start.replace(year=start.year + 1)
    else:
        raise ValueError(f"unknown period {period!r}")
    # Wall-clock arithmetic in the zone gives each bound the UTC offset of its own date (a window over a DST
    # change is 23 or 25 hours long); the bounds are returned in UTC because Python compares and subtracts
    # datetimes sharing a zone by wall clock, and never finds an ambiguous or skipped local time equal to anything.
    return start.astimezone(UTC), end.astimezone(UTC)
