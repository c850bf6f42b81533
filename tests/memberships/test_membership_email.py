"""The "membership ended" email: queued once by the lapse job, sent in the program's language; the tier-down
email of the same move is not sent on top of it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from members.notifications.collect import notify_tier_changes
from members.services.members import member_upsert
from memberships.services.billing import membership_event_record
from memberships.services.lapse import memberships_lapse
from tests.factories.memberships import membership_program


@pytest.mark.parametrize(
    ("locale", "subject", "body"),
    [
        (
            "en",
            "Your Plus membership has ended",
            "Your paid Plus membership at Acme has ended. Your tier is now Bronze.",
        ),
        ("ar", "انتهت عضويتك في Plus", "انتهت عضويتك المدفوعة Plus في Acme. مستواك الآن Bronze."),
        ("fa", "عضویت Plus شما به پایان رسید", "عضویت پولی Plus شما در Acme به پایان رسید. سطح شما اکنون Bronze است."),
    ],
)
def test_the_membership_ended_email(db, locale, subject, body, django_capture_on_commit_callbacks):
    # given a paying member
    program = membership_program(locale=locale, name="Acme")
    member_upsert(program=program, customer_id="c-1", email="c1@example.com")
    membership_event_record(program=program, event_id="e-1", type="membership.started", customer_id="c-1",
                            plan="plus", paid_until=timezone.now() + timedelta(days=2))  # fmt: skip
    as_of = timezone.now() + timedelta(days=3)
    notify_tier_changes(timezone.now())  # the welcome to Plus
    mail.outbox.clear()
    # when the membership lapses and the tier changes are told
    with django_capture_on_commit_callbacks(execute=True):
        memberships_lapse(as_of)
    with django_capture_on_commit_callbacks(execute=True):
        notify_tier_changes(as_of)
    # then one email: the membership ended
    [email] = mail.outbox
    assert email.subject == subject
    assert body in email.body
