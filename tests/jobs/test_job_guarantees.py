"""The guarantees every job gives, for the jobs and policies the per-job tests leave out: chunk boundaries give the
same outcome, a second run for the same as-of changes nothing, and a crash after the first chunk followed by a
re-run has exactly-once effects — on the ledger and on what it tells (emails, webhook events)."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.db import transaction

from loyalty.choices import RuleType
from members.choices import TransactionKind, TransactionSource, TransactionStatus
from members.job_models import JobRun, JobRunStatus, Notification, WebhookDelivery, WebhookEndpoint, WebhookEvent
from members.jobs import run_job
from members.models import Member, Transaction
from members.services import birthdays, expiry, pending
from members.services.birthdays import award_birthdays
from members.services.expiry import expire_points, send_expiry_warnings
from members.services.ledger import member_lock, points_post
from members.services.pending import activate_pending_points
from tests.factories import EarningRuleFactory
from tests.jobs.conftest import T0, post


def balances(members) -> list[int]:
    return [Member.objects.get(pk=m.pk).points_balance for m in members]


def crash_in_second_chunk(monkeypatch, module, name: str) -> None:
    """The job's chunk function raises on its second call (a worker lost mid-run); later calls are not made."""
    real, calls = getattr(module, name), []

    def chunk(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        return real(**kwargs)

    monkeypatch.setattr(module, name, chunk)


def inactive_members(program, make_member, count: int) -> list[Member]:
    members = [make_member(program, f"c{i}") for i in range(count)]
    for i, member in enumerate(members):
        post(member, 100 + i, T0, f"earn-{i}")
    return members


@pytest.mark.parametrize("chunk_size", [1, 2, 100])
def test_inactivity_chunk_boundaries_give_the_same_outcome(
    inactivity_program, make_member, chunk_size, assert_ledger_clean
):
    # given five members inactive since T0 (365 days of inactivity allowed)
    members = inactive_members(inactivity_program, make_member, 5)
    # when the job runs after the deadline, in chunks of `chunk_size` members, then again
    first = expire_points(T0 + timedelta(days=366), chunk_size=chunk_size)
    again = expire_points(T0 + timedelta(days=366), chunk_size=chunk_size)
    # then every balance expired once, whatever the chunking
    assert (first, again) == (5, 0)
    assert balances(members) == [0] * 5
    assert Transaction.objects.filter(kind=TransactionKind.EXPIRE).count() == 5
    assert_ledger_clean()


def test_inactivity_crash_then_rerun_expires_mails_and_posts_exactly_once(
    inactivity_program, make_member, monkeypatch, receiver, django_capture_on_commit_callbacks, assert_ledger_clean
):
    # given four inactive members, an endpoint taking points.expired, and a job in chunks of one member
    members = inactive_members(inactivity_program, make_member, 4)
    WebhookEndpoint.objects.create(
        program=inactivity_program, url=receiver.url, secret="s", events=[WebhookEvent.POINTS_EXPIRED]
    )
    monkeypatch.setattr(expiry, "CHUNK_SIZE", 1)
    crash_in_second_chunk(monkeypatch, expiry, "_expire_inactive")
    as_of = T0 + timedelta(days=366)
    # when the run crashes in its second chunk (what the first chunk committed is sent after its commit)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        run_job("expire_points", as_of)
    assert balances(members) == [0, 101, 102, 103]
    assert (len(mail.outbox), len(receiver.requests)) == (1, 1)
    assert JobRun.objects.get().status == JobRunStatus.FAILED
    # when it is run again without the crash, and once more
    monkeypatch.undo()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            run_job("expire_points", as_of)
    # then each balance expired once, and each member got one email and one event
    assert balances(members) == [0, 0, 0, 0]
    assert Transaction.objects.filter(kind=TransactionKind.EXPIRE).count() == 4
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.email for m in members)
    customers = sorted(json.loads(r["body"])["data"]["customer_id"] for r in receiver.requests)
    assert customers == sorted(m.customer_id for m in members)
    assert Notification.objects.count() == WebhookDelivery.objects.count() == 4
    assert_ledger_clean()


def pending_points(member, points: int, key: str, until: datetime) -> None:
    with transaction.atomic():
        points_post(
            member=member_lock(member.pk),
            points=points,
            kind=TransactionKind.EARN,
            source=TransactionSource.ORDER,
            idempotency_key=key,
            pending_until=until,
            at=until - timedelta(days=14),
        )


def test_pending_activation_crash_then_rerun_activates_exactly_once(
    program, make_member, monkeypatch, assert_ledger_clean
):
    # given four members with pending points due at T0, activated in chunks of one member
    members = [make_member(program, f"c{i}") for i in range(4)]
    for i, member in enumerate(members):
        pending_points(member, 10 + i, f"order:{i}", T0)
    crash_in_second_chunk(monkeypatch, pending, "_activate_chunk")
    # when the run crashes in its second chunk
    with pytest.raises(RuntimeError):
        activate_pending_points(T0, chunk_size=1)
    # then the first member's points are spendable, the others' still pending, the ledger consistent
    assert balances(members) == [10, 0, 0, 0]
    assert_ledger_clean()
    # when it is run again without the crash, and once more
    monkeypatch.undo()
    runs = [activate_pending_points(T0, chunk_size=1) for _ in range(2)]
    # then every row was activated once
    assert runs == [3, 0]
    assert balances(members) == [10, 11, 12, 13]
    assert not Transaction.objects.filter(status=TransactionStatus.PENDING).exists()
    assert_ledger_clean()


@pytest.mark.parametrize("chunk_size", [1, 2])
def test_expiry_warnings_in_chunks_crash_and_rerun_warn_exactly_once(
    fixed_program, make_member, monkeypatch, chunk_size, django_capture_on_commit_callbacks
):
    # given five members with a lot due at T0 + 30 days (warned 7 days before), warned in chunks
    members = [make_member(fixed_program, f"c{i}") for i in range(5)]
    for i, member in enumerate(members):
        post(member, 10 + i, T0, f"lot-{i}")
    as_of = T0 + timedelta(days=23)
    monkeypatch.setattr(expiry, "CHUNK_SIZE", chunk_size)
    crash_in_second_chunk(monkeypatch, expiry, "_warn_lots")
    # when a run crashes in its second chunk, then the job is run again, twice
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        send_expiry_warnings(as_of)
    monkeypatch.undo()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            send_expiry_warnings(as_of, chunk_size=chunk_size)
    # then each member was warned (and mailed) once
    assert Notification.objects.count() == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.email for m in members)


@pytest.mark.parametrize("chunk_size", [1, 2, 100])
def test_birthday_chunk_boundaries_and_a_second_run(program, make_member, chunk_size, assert_ledger_clean):
    # given five members born on June 5 and two born on another day
    EarningRuleFactory(program=program, key="birthday", type=RuleType.BIRTHDAY, points=250)
    born = [make_member(program, f"c{i}", birthday=date(1990, 6, 5)) for i in range(5)]
    others = [make_member(program, f"o{i}", birthday=date(1990, 6, 6)) for i in range(2)]
    at = datetime(2026, 6, 5, 12, tzinfo=UTC)
    # when the job runs in chunks of `chunk_size`, then again the same day
    runs = [award_birthdays(at, chunk_size=chunk_size), award_birthdays(at, chunk_size=chunk_size)]
    # then the five got their points once, the others nothing
    assert runs == [5, 0]
    assert balances(born) == [250] * 5
    assert balances(others) == [0, 0]
    assert_ledger_clean()


def test_the_birthday_crash_leaves_the_first_chunks_events_and_emails_once(
    program, make_member, monkeypatch, receiver, django_capture_on_commit_callbacks
):
    # given three members born on June 5, awarded in chunks of one, an endpoint taking points.earned
    EarningRuleFactory(program=program, key="birthday", type=RuleType.BIRTHDAY, points=250)
    members = [make_member(program, f"c{i}", birthday=date(1990, 6, 5)) for i in range(3)]
    WebhookEndpoint.objects.create(program=program, url=receiver.url, secret="s", events=[WebhookEvent.POINTS_EARNED])
    monkeypatch.setattr(birthdays, "CHUNK_SIZE", 1)
    crash_in_second_chunk(monkeypatch, birthdays, "_award_chunk")
    at = datetime(2026, 6, 5, 12, tzinfo=UTC)
    # when the run crashes in its second chunk, then is run again, twice
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        run_job("award_birthdays", at)
    monkeypatch.undo()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            run_job("award_birthdays", at + timedelta(hours=1))
    # then each member got one birthday email and one points.earned event
    assert balances(members) == [250] * 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.email for m in members)
    events = sorted(json.loads(r["body"])["id"] for r in receiver.requests)
    assert events == sorted(f"points.earned:birthday:{m.pk}:2026" for m in members)
