from datetime import UTC, date, datetime, timedelta

import pytest

from loyalty.choices import ExpiryPolicy, RuleType
from members.choices import TransactionKind, TransactionSource
from members.job_models import JobRun, JobRunStatus, Notification, NotificationKind
from members.jobs import run_job
from members.models import Member, Transaction
from members.services import birthdays
from members.services.birthdays import award_birthdays
from tests.factories import EarningRuleFactory
from tests.jobs.conftest import post


@pytest.fixture
def birthday_program(program):
    EarningRuleFactory(program=program, key="birthday", type=RuleType.BIRTHDAY, points=250, name="Birthday")
    return program


def balances(members) -> list[int]:
    return [Member.objects.get(pk=m.pk).points_balance for m in members]


def test_members_get_the_birthday_points_on_their_birthday(birthday_program, make_member, assert_ledger_clean):
    # given one member born on June 5 with 10 points and one born on June 6
    today = make_member(birthday_program, "today", birthday=date(1990, 6, 5))
    post(today, 10, datetime(2026, 1, 1, tzinfo=UTC), "a")
    tomorrow = make_member(birthday_program, "tomorrow", birthday=date(1985, 6, 6))
    at = datetime(2026, 6, 5, 9, 0, tzinfo=UTC)
    # when the job runs on June 5
    written = award_birthdays(at)
    # then only the first gets 250 points, as an earning that counts for their lifetime points
    assert written == 1
    assert balances([today, tomorrow]) == [260, 0]
    row = Transaction.objects.get(member=today, idempotency_key=f"birthday:{today.pk}:2026")
    assert (row.kind, row.source, row.points, row.balance_after) == (
        TransactionKind.EARN,
        TransactionSource.RULE,
        250,
        260,
    )
    assert Member.objects.get(pk=today.pk).lifetime_points == 260
    assert Notification.objects.get(member=today).kind == NotificationKind.BIRTHDAY
    assert_ledger_clean()


def test_once_per_member_and_year(birthday_program, make_member, assert_ledger_clean):
    # given a member whose birthday was awarded this morning
    member = make_member(birthday_program, "c1", birthday=date(1990, 6, 5))
    award_birthdays(datetime(2026, 6, 5, 1, 0, tzinfo=UTC))
    # when the job runs again later that day, and the next year
    again = award_birthdays(datetime(2026, 6, 5, 23, 0, tzinfo=UTC))
    next_year = award_birthdays(datetime(2027, 6, 5, 1, 0, tzinfo=UTC))
    # then the second run awards nothing and the next year awards again
    assert (again, next_year) == (0, 1)
    assert balances([member]) == [500]
    assert Notification.objects.filter(member=member).count() == 2
    assert_ledger_clean()


@pytest.mark.parametrize(
    ("as_of", "awarded"),
    [
        (datetime(2027, 2, 28, 12, tzinfo=UTC), 1),  # common year: celebrated on Feb 28
        (datetime(2027, 3, 1, 12, tzinfo=UTC), 0),
        (datetime(2028, 2, 28, 12, tzinfo=UTC), 0),  # leap year: on the 29th
        (datetime(2028, 2, 29, 12, tzinfo=UTC), 1),
    ],
)
def test_born_on_february_29(birthday_program, make_member, as_of, awarded, assert_ledger_clean):
    # given a member born on Feb 29
    make_member(birthday_program, "leap", birthday=date(2000, 2, 29))
    # when the job runs on the date
    # then they celebrate once a year: Feb 28 in common years, Feb 29 in leap years
    assert award_birthdays(as_of) == awarded
    assert_ledger_clean()


def test_the_day_is_the_programs_local_day(birthday_program, make_member):
    # given a program in Tehran (UTC+3:30) and a member born on March 5
    birthday_program.timezone = "Asia/Tehran"
    birthday_program.save()
    member = make_member(birthday_program, "c1", birthday=date(1990, 3, 5))
    # when the job runs at 21:00 UTC on March 4 (00:30 on March 5 in Tehran)
    written = award_birthdays(datetime(2026, 3, 4, 21, 0, tzinfo=UTC))
    # then it is the member's birthday there
    assert written == 1
    assert balances([member]) == [250]


def test_no_live_birthday_rule_awards_nothing(program, make_member):
    # given a program without a birthday rule
    make_member(program, "c1", birthday=date(1990, 6, 5))
    # then its members' birthdays earn nothing
    assert award_birthdays(datetime(2026, 6, 5, 12, tzinfo=UTC)) == 0


def test_under_the_fixed_policy_the_birthday_points_are_a_lot(birthday_program, make_member, assert_ledger_clean):
    # given a program whose points expire 30 days after they were earned
    birthday_program.expiry_policy = ExpiryPolicy.FIXED
    birthday_program.expiry_days = 30
    birthday_program.save()
    member = make_member(birthday_program, "c1", birthday=date(1990, 6, 5))
    at = datetime(2026, 6, 5, 12, tzinfo=UTC)
    # when the birthday is awarded
    award_birthdays(at)
    # then the points are a lot that expires in 30 days
    row = Transaction.objects.get(member=member)
    assert (row.remaining, row.expires_at) == (250, at + timedelta(days=30))
    assert_ledger_clean()


def test_a_crash_after_the_first_chunk_then_a_rerun_awards_exactly_once(
    birthday_program, make_member, monkeypatch, assert_ledger_clean
):
    # given three members born on June 5, awarded in chunks of one
    members = [make_member(birthday_program, f"c{i}", birthday=date(1990, 6, 5)) for i in range(3)]
    monkeypatch.setattr(birthdays, "CHUNK_SIZE", 1)
    real_chunk = birthdays._award_chunk
    calls = []

    def crash_on_second_chunk(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_chunk(**kwargs)

    monkeypatch.setattr(birthdays, "_award_chunk", crash_on_second_chunk)
    at = datetime(2026, 6, 5, 12, tzinfo=UTC)
    # when the run crashes in its second chunk
    with pytest.raises(RuntimeError):
        run_job("award_birthdays", at)
    # then the first member has the points, the ledger is consistent and the run is recorded as failed
    assert balances(members) == [250, 0, 0]
    assert_ledger_clean()
    assert JobRun.objects.get().status == JobRunStatus.FAILED
    # when it is run again (later the same day)
    monkeypatch.setattr(birthdays, "_award_chunk", real_chunk)
    written = run_job("award_birthdays", at + timedelta(hours=3))
    # then each member was awarded exactly once
    assert written == 2
    assert balances(members) == [250, 250, 250]
    assert Transaction.objects.count() == 3
    assert_ledger_clean()
