from datetime import timedelta

from members.job_models import Notification, NotificationKind
from members.models import Member
from members.services.expiry import send_expiry_warnings
from tests.jobs.conftest import T0, post


def test_fixed_warns_once_per_lot_day_within_the_warning_days(fixed_program, make_member):
    # given lots of 60 and 40 earned on T0 (due T0 + 30 days, 7-day warning), one of 25 earned ten days later
    member = make_member(fixed_program, "c1")
    post(member, 60, T0, "a")
    post(member, 40, T0 + timedelta(hours=2), "b")
    post(member, 25, T0 + timedelta(days=10), "c")
    # when the job runs eight days before, then seven days before (its whole day), then again
    early = send_expiry_warnings(T0 + timedelta(days=22))
    due = send_expiry_warnings(T0 + timedelta(days=23))
    again = send_expiry_warnings(T0 + timedelta(days=24))
    # then one warning about the 100 points due on Feb 9, queued once
    assert (early, due, again) == (0, 1, 0)
    warning = Notification.objects.get()
    assert (warning.kind, warning.key) == (NotificationKind.EXPIRY_WARNING, f"expiry_warning:{member.pk}:2026-02-09")
    assert warning.context == {"points": 100, "date": "2026-02-09"}


def test_fixed_spent_lots_are_not_warned_about(fixed_program, make_member):
    # given a lot entirely spent
    member = make_member(fixed_program, "c1")
    post(member, 60, T0, "a")
    post(member, -60, T0 + timedelta(days=1), "b", kind="redeem")
    # then there is nothing to warn about
    assert send_expiry_warnings(T0 + timedelta(days=25)) == 0


def test_inactivity_warns_once_per_deadline(inactivity_program, make_member):
    # given a member last active at T0 (deadline a year later, warned 30 days before)
    member = make_member(inactivity_program, "c1")
    post(member, 100, T0, "a")
    # when the job runs daily around the warning day
    runs = [send_expiry_warnings(T0 + timedelta(days=day)) for day in (334, 335, 336, 360)]
    # then the member is warned once, about the whole balance
    assert runs == [0, 1, 0, 0]
    warning = Notification.objects.get()
    assert warning.key == f"expiry_warning:inactive:{member.pk}:2027-01-10"
    assert warning.context == {"points": 100, "date": "2027-01-10"}
    # and activity after it sets a new deadline, warned about in its turn
    post(member, 5, T0 + timedelta(days=340), "b")
    assert send_expiry_warnings(T0 + timedelta(days=340 + 335)) == 1


def test_members_who_unsubscribed_are_not_warned(inactivity_program, make_member):
    # given a member who turned emails off
    member = make_member(inactivity_program, "c1")
    post(member, 100, T0, "a")
    Member.objects.filter(pk=member.pk).update(emails_allowed=False)
    # then no warning is queued for them
    assert send_expiry_warnings(T0 + timedelta(days=335)) == 0
