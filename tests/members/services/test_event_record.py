from datetime import UTC, datetime, timedelta

import pytest

from loyalty.choices import RuleType
from loyalty.errors import NotFound, ValidationFailed
from members.models import Event, Member, Transaction
from members.services.events import event_record
from members.services.members import member_upsert
from tests.factories import EarningRuleFactory


@pytest.fixture
def member(program):
    member, _ = member_upsert(program=program, customer_id="c1", email="c1@example.com")
    return member


def _event(program, event_id, type="review_posted", at=None):
    return event_record(program=program, event_id=event_id, customer_id="c1", type=type, occurred_at=at)


def _review_rule(program, **kwargs):
    return EarningRuleFactory(program=program, type=RuleType.CUSTOM_EVENT, event="review_posted", points=50, **kwargs)


def test_event_with_a_rule_awards_its_points_once(program, member, assert_ledger_clean):
    # given 50 points per review
    _review_rule(program)
    # when a review arrives twice with the same event_id
    first = _event(program, "e1")
    again = _event(program, "e1")
    # then it is awarded once
    assert first.created and not again.created and again.event.pk == first.event.pk
    assert first.event.points_awarded == 50
    assert Member.objects.get(pk=member.pk).points_balance == 50
    assert_ledger_clean()


def test_event_without_a_matching_rule_is_recorded_with_no_points(program, member, assert_ledger_clean):
    # given a rule for reviews only (and an inactive one for follows)
    _review_rule(program)
    EarningRuleFactory(program=program, type=RuleType.CUSTOM_EVENT, event="social_follow", points=20, active=False)
    # when other events arrive
    unknown = _event(program, "e1", type="page_viewed")
    inactive = _event(program, "e2", type="social_follow")
    # then they are recorded without points
    assert unknown.created and unknown.event.points_awarded == 0
    assert inactive.event.points_awarded == 0
    assert not Transaction.objects.filter(event__isnull=False).exists()
    assert_ledger_clean()


def test_event_rule_window_is_judged_at_occurred_at(program, member):
    # given a rule live from 1 December
    start = datetime(2026, 12, 1, tzinfo=UTC)
    _review_rule(program, starts_at=start)
    # when events occurred just before and at the start
    before = _event(program, "e1", at=start - timedelta(microseconds=1))
    at_start = _event(program, "e2", at=start)
    # then only the second earns
    assert (before.event.points_awarded, at_start.event.points_awarded) == (0, 50)


def test_daily_limit_counts_the_programs_calendar_day(program, member, assert_ledger_clean):
    # given 2 reviews a day in Tehran (+03:30)
    program.timezone = "Asia/Tehran"
    program.save()
    _review_rule(program, limit_count=2, limit_period="day")
    midnight = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)  # 24 November 00:00 in Tehran
    # when three reviews arrive just before Tehran's midnight and two at it
    late = [_event(program, f"a{i}", at=midnight - timedelta(minutes=1)) for i in range(3)]
    next_day = [_event(program, f"b{i}", at=midnight) for i in range(2)]
    # then two earn on each day
    assert [r.event.points_awarded for r in late] == [50, 50, 0]
    assert [r.event.points_awarded for r in next_day] == [50, 50]
    assert Member.objects.get(pk=member.pk).points_balance == 200
    assert_ledger_clean()


def test_daily_limit_on_a_dst_day_spans_the_whole_local_day(program, member):
    # given 1 review a day in Berlin, on the 25-hour fall-back day (25 October 2026)
    program.timezone = "Europe/Berlin"
    program.save()
    _review_rule(program, limit_count=1, limit_period="day")
    # when reviews arrive at 00:30 local (22:30 UTC the day before) and at 23:30 local (22:30 UTC)
    morning = _event(program, "a", at=datetime(2026, 10, 24, 22, 30, tzinfo=UTC))
    evening = _event(program, "b", at=datetime(2026, 10, 25, 22, 30, tzinfo=UTC))
    next_day = _event(program, "c", at=datetime(2026, 10, 25, 23, 0, tzinfo=UTC))
    # then the evening one is the same local day, and 00:00 of the 26th starts a new one
    assert [r.event.points_awarded for r in (morning, evening, next_day)] == [50, 0, 50]


@pytest.mark.parametrize(
    ("period", "second_at", "second_earns"),
    [
        ("week", datetime(2026, 11, 29, 23, 59, tzinfo=UTC), False),  # Sunday: same week as Monday 23rd
        ("week", datetime(2026, 11, 30, 0, 0, tzinfo=UTC), True),  # next Monday
        ("month", datetime(2026, 11, 30, 23, 59, tzinfo=UTC), False),
        ("month", datetime(2026, 12, 1, 0, 0, tzinfo=UTC), True),
        ("year", datetime(2026, 12, 31, 23, 59, tzinfo=UTC), False),
        ("year", datetime(2027, 1, 1, 0, 0, tzinfo=UTC), True),
        ("lifetime", datetime(2036, 1, 1, tzinfo=UTC), False),
    ],
)
def test_limit_periods_end_where_the_next_begins(program, member, period, second_at, second_earns):
    # given one review per period, and a review on Monday 23 November 2026
    _review_rule(program, limit_count=1, limit_period=period)
    first = _event(program, "a", at=datetime(2026, 11, 23, 0, 0, tzinfo=UTC))
    # when another review arrives
    second = _event(program, "b", at=second_at)
    # then it earns only in the next period
    assert first.event.points_awarded == 50
    assert (second.event.points_awarded == 50) is second_earns


def test_event_for_an_unknown_member_is_not_found(program):
    # when an event names an unknown customer
    with pytest.raises(NotFound):
        _event(program, "e1")
    # then nothing is written
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("event_id", ""), ("event_id", "e" * 256), ("type", ""), ("type", "t" * 101), ("customer_id", "c\x00")],
)
def test_event_bad_input_is_refused_and_writes_nothing(program, member, field, value):
    # given an event with one bad value
    body = dict(event_id="e1", customer_id="c1", type="review_posted")
    body[field] = value
    # when it is recorded
    with pytest.raises(ValidationFailed):
        event_record(program=program, **body)
    # then nothing is written
    assert not Event.objects.exists()
