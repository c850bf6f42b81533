"""Every kind of email of the issue, in the three languages a program can speak, and each sent once however
often its sending runs."""

import pytest
from django.core import mail

from members.job_models import Notification, NotificationKind, NotificationStatus
from members.notifications.sending import notification_message, notifications_send

# A context per email (tier changes twice: up and down).
EMAILS = [
    (NotificationKind.POINTS_EARNED, {"points": 1200, "balance": 3400}),
    (NotificationKind.TIER_CHANGED, {"tier": "Gold", "up": True}),
    (NotificationKind.TIER_CHANGED, {"tier": "Silver", "up": False}),
    (NotificationKind.EXPIRY_WARNING, {"points": 100, "date": "2026-02-09"}),
    (NotificationKind.POINTS_EXPIRED, {"points": 100}),
    (NotificationKind.BIRTHDAY, {"points": 250}),
    (NotificationKind.REFERRAL_REWARD, {"reward": "10.00 off"}),
    (NotificationKind.CODE_ISSUED, {"reward": "Free mug", "code": "Q7K2M9XA4BTE"}),
]


def notifications(program, member) -> list[Notification]:
    return [
        Notification.objects.create(
            program=program, member=member, kind=kind, key=f"{kind}:{member.pk}:{n}", context=context
        )
        for n, (kind, context) in enumerate(EMAILS)
    ]


@pytest.fixture
def english(program, make_member):
    """The English subject and body of every email, to compare the translations with."""
    member = make_member(program, "en", first_name="Sara")
    return [(m.subject, m.body) for m in map(notification_message, notifications(program, member))]


@pytest.mark.parametrize(("locale", "direction"), [("en", "ltr"), ("ar", "rtl"), ("fa", "rtl")])
def test_every_email_is_in_the_programs_language_and_sent_once(program, make_member, english, locale, direction):
    # given a program speaking `locale` and one queued email of every kind
    program.locale = locale
    program.name = "Acme"
    program.save()
    member = make_member(program, "c1", first_name="Sara")
    rows = notifications(program, member)
    # when they are sent, and the sending runs again (a retried task)
    notifications_send(notification_ids=[n.pk for n in rows])
    notifications_send(notification_ids=[n.pk for n in rows])
    # then one email each, text and HTML, written in that language and direction, with the facts in it
    assert len(mail.outbox) == len(EMAILS)
    assert set(Notification.objects.filter(member=member).values_list("status", flat=True)) == {NotificationStatus.SENT}
    for email, (en_subject, en_body), (_kind, context) in zip(mail.outbox, english, EMAILS, strict=True):
        html = email.alternatives[0][0]
        assert f'dir="{direction}"' in html and "Acme" in email.body and "Sara" in html
        if locale != "en":
            assert email.subject != en_subject
            # the sentence of the email (the line after the greeting) is translated too
            assert email.body.split("\n")[4] and en_body.split("\n")[4] not in email.body
        for fact in ("tier", "reward", "code"):
            if fact in context:
                assert context[fact] in email.body
