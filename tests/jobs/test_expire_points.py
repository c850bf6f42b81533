from datetime import timedelta

import pytest

from loyalty.choices import ExpiryPolicy
from members.choices import TransactionKind, TransactionSource
from members.job_models import JobRun, JobRunStatus
from members.jobs import run_job
from members.models import Member, Transaction
from members.services import expiry
from members.services.expiry import expire_points
from tests.jobs.conftest import T0, post


def balance(member) -> int:
    return Member.objects.get(pk=member.pk).points_balance


def expire_rows(member):
    return list(
        Transaction.objects.filter(member=member, kind=TransactionKind.EXPIRE)
        .order_by("pk")
        .values_list("points", "balance_after", "idempotency_key", "created_at")
    )


def test_fixed_a_lot_expires_its_days_after_it_was_earned(fixed_program, make_member, assert_ledger_clean):
    # given a lot of 100 earned at T0 (30-day expiry) and one of 40 earned ten days later
    member = make_member(fixed_program, "c1")
    lot = post(member, 100, T0, "a")
    post(member, 40, T0 + timedelta(days=10), "b")
    # when the job runs the moment the first lot is due
    written = expire_points(T0 + timedelta(days=30))
    # then that lot, and only it, leaves the balance, in a row dated at its expiry
    assert written == 1
    assert expire_rows(member) == [(-100, 40, f"expire:{lot.pk}", T0 + timedelta(days=30))]
    assert balance(member) == 40
    assert Transaction.objects.get(pk=lot.pk).remaining == 0
    assert_ledger_clean()


def test_fixed_spending_takes_the_oldest_lot_first(fixed_program, make_member, assert_ledger_clean):
    # given lots of 100 (T0) and 50 (T0 + 5 days), then 120 spent
    member = make_member(fixed_program, "c1")
    first = post(member, 100, T0, "a")
    second = post(member, 50, T0 + timedelta(days=5), "b")
    post(member, -120, T0 + timedelta(days=6), "spend", kind=TransactionKind.REDEEM)
    # when both lots are due
    expire_points(T0 + timedelta(days=40))
    # then the first lot was spent whole and 30 of the second expire; nothing is left
    assert [row[:3] for row in expire_rows(member)] == [(-30, 0, f"expire:{second.pk}")]
    assert Transaction.objects.get(pk=first.pk).remaining == 0
    assert balance(member) == 0
    assert_ledger_clean()


def test_fixed_nothing_expires_before_its_time(fixed_program, make_member, assert_ledger_clean):
    # given a lot due at T0 + 30 days
    member = make_member(fixed_program, "c1")
    post(member, 100, T0, "a")
    # when the job runs a second earlier
    written = expire_points(T0 + timedelta(days=30) - timedelta(seconds=1))
    # then nothing moves
    assert written == 0
    assert balance(member) == 100
    assert_ledger_clean()


def test_fixed_never_expires_more_than_the_balance(fixed_program, make_member, assert_ledger_clean):
    # given 80 points earned before the program switched to `fixed` (no lot), then a lot of 100, then 150 spent
    fixed_program.expiry_policy = ExpiryPolicy.NEVER
    fixed_program.save()
    member = make_member(fixed_program, "c1")
    post(member, 80, T0, "old")
    fixed_program.expiry_policy = ExpiryPolicy.FIXED
    fixed_program.save()
    post(member, 100, T0, "lot")
    post(member, -150, T0 + timedelta(days=1), "spend", kind=TransactionKind.REDEEM)
    # when the lot is due (the spend took 100 from the lot: its remaining is 0 and the balance is 30)
    written = expire_points(T0 + timedelta(days=31))
    # then nothing expires: what is left is the points that were never a lot
    assert written == 0
    assert balance(member) == 30
    assert_ledger_clean()


def test_never_policy_expires_nothing(program, make_member, assert_ledger_clean):
    # given a program whose points never expire, and points ten years old
    member = make_member(program, "c1")
    post(member, 100, T0, "a")
    # when the job runs much later
    written = expire_points(T0 + timedelta(days=3650))
    # then nothing expires
    assert written == 0
    assert balance(member) == 100
    assert_ledger_clean()


def test_inactivity_the_whole_balance_expires_after_the_days(inactivity_program, make_member, assert_ledger_clean):
    # given one member last active at T0 and another active 100 days later
    sleeper = make_member(inactivity_program, "sleeper")
    post(sleeper, 100, T0, "s1")
    post(sleeper, -30, T0, "s2", kind=TransactionKind.REDEEM)
    active = make_member(inactivity_program, "active")
    post(active, 100, T0 + timedelta(days=100), "a1")
    deadline = T0 + timedelta(days=365)
    # when the job runs at the sleeper's deadline
    written = expire_points(deadline)
    # then the sleeper's 70 points expire in one row keyed by the deadline; the active member keeps theirs
    assert written == 1
    assert expire_rows(sleeper) == [(-70, 0, f"expire:inactive:{sleeper.pk}:2027-01-10", deadline)]
    row = Transaction.objects.get(member=sleeper, kind=TransactionKind.EXPIRE)
    assert row.source == TransactionSource.JOB
    assert (balance(sleeper), balance(active)) == (0, 100)
    # and expiry is not activity
    assert Member.objects.get(pk=sleeper.pk).last_activity_at == T0
    assert_ledger_clean()


def test_inactivity_activity_moves_the_deadline(inactivity_program, make_member, assert_ledger_clean):
    # given points earned at T0 and a purchase 200 days later
    member = make_member(inactivity_program, "c1")
    post(member, 100, T0, "a")
    post(member, 10, T0 + timedelta(days=200), "b")
    # when the job runs a year after T0
    written = expire_points(T0 + timedelta(days=366))
    # then nothing expires: the member was active within the year
    assert written == 0
    assert balance(member) == 110
    assert_ledger_clean()


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 100])
def test_chunk_boundaries_give_the_same_outcome(fixed_program, make_member, chunk_size, assert_ledger_clean):
    # given five members with two due lots each and one not yet due
    members = [make_member(fixed_program, f"c{i}") for i in range(5)]
    for i, member in enumerate(members):
        post(member, 10 + i, T0, f"{i}-a")
        post(member, 20, T0 + timedelta(days=1), f"{i}-b")
        post(member, 5, T0 + timedelta(days=60), f"{i}-c")
    # when the job runs with chunks of `chunk_size` members
    written = expire_points(T0 + timedelta(days=40), chunk_size=chunk_size)
    # then every due lot expired once, whatever the chunking
    assert written == 10
    assert [balance(m) for m in members] == [5] * 5
    assert Transaction.objects.filter(kind=TransactionKind.EXPIRE).count() == 10
    assert_ledger_clean()


def test_running_twice_for_the_same_as_of_changes_nothing(fixed_program, make_member, assert_ledger_clean):
    # given due lots, expired once
    member = make_member(fixed_program, "c1")
    post(member, 100, T0, "a")
    as_of = T0 + timedelta(days=31)
    expire_points(as_of)
    before = list(Transaction.objects.order_by("pk").values()), list(Member.objects.values())
    # when the job runs again
    written = expire_points(as_of)
    # then nothing changes
    assert written == 0
    assert (list(Transaction.objects.order_by("pk").values()), list(Member.objects.values())) == before
    assert_ledger_clean()


def test_a_crash_after_the_first_chunk_then_a_rerun_expires_exactly_once(
    fixed_program, make_member, monkeypatch, assert_ledger_clean
):
    # given four members with a due lot each, expired in chunks of one member
    members = [make_member(fixed_program, f"c{i}") for i in range(4)]
    for i, member in enumerate(members):
        post(member, 100 + i, T0, f"lot-{i}")
    as_of = T0 + timedelta(days=31)
    monkeypatch.setattr(expiry, "CHUNK_SIZE", 1)
    real_chunk = expiry._expire_lots
    calls = []

    def crash_on_second_chunk(**kwargs):
        calls.append(kwargs["first"])
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        return real_chunk(**kwargs)

    monkeypatch.setattr(expiry, "_expire_lots", crash_on_second_chunk)
    # when the run crashes in its second chunk
    with pytest.raises(RuntimeError):
        run_job("expire_points", as_of)
    # then the first chunk is committed, the ledger is consistent, and the run is recorded as failed
    assert [balance(m) for m in members] == [0, 101, 102, 103]
    assert_ledger_clean()
    failed = JobRun.objects.get()
    assert (failed.status, failed.rows, failed.chunks) == (JobRunStatus.FAILED, 1, 1)
    assert "worker lost" in failed.error
    # when it is run again, without the crash
    monkeypatch.setattr(expiry, "_expire_lots", real_chunk)
    written = run_job("expire_points", as_of)
    # then the rest expires, each lot exactly once
    assert written == 3
    assert [balance(m) for m in members] == [0, 0, 0, 0]
    assert Transaction.objects.filter(kind=TransactionKind.EXPIRE).count() == 4
    assert JobRun.objects.filter(status=JobRunStatus.SUCCEEDED, rows=3).count() == 1
    assert_ledger_clean()
