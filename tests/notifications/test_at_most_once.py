"""Notifications are sent at most once: claimed before sending, never resent after a worker died mid-send
(the reaper marks the claim failed, outcome unknown), resent only when provably never tried (a lost task)."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from members.job_models import Notification, NotificationKind, NotificationStatus
from members.notifications import sending
from members.notifications.queue import notifications_create
from members.notifications.reaper import UNKNOWN_OUTCOME, notifications_reap
from members.notifications.sending import notification_message, notifications_send
from members.notifications.tasks import notifications_send_task
from tests.conftest import postgres_only
from tests.factories import ProgramFactory


class WorkerKilled(BaseException):
    """What the process sees when the worker is killed: not an Exception, nothing catches it."""


def queued(program, make_member, key="birthday:1:2026"):
    member = make_member(program, "c1")
    notifications_create(program=program, kind=NotificationKind.BIRTHDAY, facts=[(member.pk, key, {"points": 5})])
    return Notification.objects.get(key=key)


def test_a_worker_killed_after_sending_never_sends_it_again(fixed_program, make_member, monkeypatch):
    # given a queued notification, and a worker killed right after the mail server took the email
    notification = queued(fixed_program, make_member)

    def killed(*args, **kwargs):
        raise WorkerKilled

    with monkeypatch.context() as patch:
        patch.setattr(sending, "_finish", killed)
        with pytest.raises(WorkerKilled):
            notifications_send(notification_ids=[notification.pk])
    assert len(mail.outbox) == 1
    # when the broker redelivers the task (acks_late) and another worker runs it
    notifications_send_task.apply(args=[[notification.pk]])
    # then nothing more is sent: the row stays claimed, with the time of the claim
    notification.refresh_from_db()
    assert len(mail.outbox) == 1
    assert notification.status == NotificationStatus.SENDING
    assert notification.claimed_at is not None
    # when the reaper runs before the claim is stale, then after
    claimed_at = notification.claimed_at
    assert notifications_reap(claimed_at + timedelta(minutes=10)) == 0
    assert notifications_reap(claimed_at + timedelta(minutes=16)) == 1
    # then the notification is failed, saying the outcome is unknown, and it was still mailed once
    notification.refresh_from_db()
    assert (notification.status, notification.last_error) == (NotificationStatus.FAILED, UNKNOWN_OUTCOME)
    assert notifications_reap(claimed_at + timedelta(days=1)) == 0
    notifications_send_task.apply(args=[[notification.pk]])
    assert len(mail.outbox) == 1


def test_a_notification_whose_task_was_lost_is_sent_once_by_the_reaper(
    fixed_program, make_member, django_capture_on_commit_callbacks
):
    # given a queued notification whose sending task never ran (the after-commit callback was not executed)
    notification = queued(fixed_program, make_member)
    later = notification.created_at + timedelta(minutes=31)
    # when the reaper runs, twice
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            notifications_reap(later)
    # then it was sent, once
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert len(mail.outbox) == 1


def test_a_notification_waiting_for_its_retry_is_left_to_it(fixed_program, make_member, monkeypatch):
    # given a notification whose first send failed a minute ago (queued again, the retry is due in 30 s)
    notification = queued(fixed_program, make_member)
    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", lambda self, *a, **k: (_ for _ in ()).throw(OSError()))
    assert notifications_send(notification_ids=[notification.pk]) == [notification.pk]
    notification.refresh_from_db()
    # when the reaper runs soon after
    touched = notifications_reap(notification.claimed_at + timedelta(minutes=1))
    # then it leaves the row to the task's retry
    assert touched == 0
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (NotificationStatus.QUEUED, 1)


def test_every_attempt_of_one_notification_has_the_same_message_id(fixed_program, make_member):
    # given two notifications
    first = queued(fixed_program, make_member, key="birthday:1:2026")
    second = queued(fixed_program, make_member, key="birthday:1:2027")
    # when their emails are built twice
    ids = [notification_message(n).message()["Message-ID"] for n in (first, first, second)]
    # then one notification always has the same id, another one another id
    assert ids[0] == ids[1] != ids[2]
    assert ids[0].startswith("<notification.") and ids[0].endswith(">")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_rows_at_once_send_each_once(make_member):
    # given 20 queued notifications, and two workers handed the same ones (a duplicated task)
    program = ProgramFactory()
    members = [make_member(program, f"c{n}") for n in range(20)]
    notifications_create(
        program=program,
        kind=NotificationKind.BIRTHDAY,
        facts=[(m.pk, f"birthday:{m.pk}:2026", {"points": 5}) for m in members],
    )
    ids = list(Notification.objects.values_list("pk", flat=True))
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            notifications_send(notification_ids=ids)
        finally:
            connection.close()

    # when both run at the same moment
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then each notification was mailed once
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.email for m in members)
    assert set(Notification.objects.values_list("status", flat=True)) == {NotificationStatus.SENT}
    assert all(n.claimed_at <= timezone.now() for n in Notification.objects.all())
