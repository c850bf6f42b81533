from datetime import timedelta

import pytest
from django.core import mail

from members.job_models import Notification, NotificationKind, NotificationStatus
from members.models import Member
from members.notifications.queue import notifications_create
from members.notifications.sending import notifications_send
from members.services.expiry import expire_points
from tests.jobs.conftest import T0, post


@pytest.mark.parametrize(
    ("locale", "subject", "body", "direction"),
    [
        ("en", "100 Stars expired", "100 Stars at Acme Rewards have expired.", 'dir="ltr"'),
        ("ar", "انتهت صلاحية 100 Stars", "انتهت صلاحية 100 Stars في Acme Rewards.", 'dir="rtl"'),
        ("fa", "100 Stars منقضی شد", "100 Stars شما در Acme Rewards منقضی شد.", 'dir="rtl"'),
    ],
)
def test_the_expiry_email_is_in_the_programs_language_and_branding(
    fixed_program, make_member, locale, subject, body, direction, django_capture_on_commit_callbacks
):
    # given a program in `locale` with its own name, points name and colour, and a member whose lot is due
    fixed_program.locale = locale
    fixed_program.name = "Acme Rewards"
    fixed_program.points_name_plural = "Stars"
    fixed_program.primary_color = "#123456"
    fixed_program.save()
    member = make_member(fixed_program, "c1", first_name="Sara")
    post(member, 100, T0, "a")
    # when the points expire and the transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        expire_points(T0 + timedelta(days=31))
    # then one email, text and HTML, in that language, with the branding and a working unsubscribe link
    [email] = mail.outbox
    assert email.to == ["c1@example.com"]
    assert email.subject == subject
    assert body in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert body in html and direction in html and "#123456" in html and "Sara" in html
    unsubscribe = email.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe in email.body and unsubscribe in html
    assert Notification.objects.get().status == NotificationStatus.SENT


def test_the_unsubscribe_link_turns_emails_off(fixed_program, make_member, client, django_capture_on_commit_callbacks):
    # given an expiry email received by a member
    member = make_member(fixed_program, "c1")
    post(member, 100, T0, "a")
    with django_capture_on_commit_callbacks(execute=True):
        expire_points(T0 + timedelta(days=31))
    link = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    path = link.split("://", 1)[1].split("/", 1)[1]
    # when they open it and confirm
    assert client.get(f"/{path}").status_code == 200
    client.post(f"/{path}")
    # then they get no more program emails
    assert Member.objects.get(pk=member.pk).emails_allowed is False
    created = notifications_create(
        program=fixed_program, kind=NotificationKind.BIRTHDAY, facts=[(member.pk, "birthday:x", {"points": 5})]
    )
    assert created == 0


def test_a_fact_is_mailed_once_however_often_it_is_recorded_or_sent(
    fixed_program, make_member, django_capture_on_commit_callbacks
):
    # given a birthday fact recorded twice and its sending run twice
    member = make_member(fixed_program, "c1")
    fact = [(member.pk, f"birthday:{member.pk}:2026", {"points": 250})]
    with django_capture_on_commit_callbacks(execute=True):
        first = notifications_create(program=fixed_program, kind=NotificationKind.BIRTHDAY, facts=fact)
    with django_capture_on_commit_callbacks(execute=True):
        second = notifications_create(program=fixed_program, kind=NotificationKind.BIRTHDAY, facts=fact)
    notifications_send(notification_ids=list(Notification.objects.values_list("pk", flat=True)))
    # then one row, one email
    assert (first, second) == (1, 0)
    assert len(mail.outbox) == 1
    assert "250" in mail.outbox[0].subject


def test_a_failed_send_is_retried_and_then_sent_once(fixed_program, make_member, monkeypatch):
    # given a queued notification and a mail server that fails once
    member = make_member(fixed_program, "c1")
    notifications_create(
        program=fixed_program, kind=NotificationKind.BIRTHDAY, facts=[(member.pk, "b:1", {"points": 1})]
    )
    notification = Notification.objects.get()
    calls = []
    real_send = mail.EmailMultiAlternatives.send

    def flaky_send(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("SMTP down")
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", flaky_send)
    # when it is sent, fails, and is retried twice
    failed = notifications_send(notification_ids=[notification.pk])
    notifications_send(notification_ids=failed)
    notifications_send(notification_ids=failed)
    # then it went out exactly once, after two attempts
    notification.refresh_from_db()
    assert failed == [notification.pk]
    assert (notification.status, notification.attempts) == (NotificationStatus.SENT, 2)
    assert len(mail.outbox) == 1
