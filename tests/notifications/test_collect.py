from datetime import UTC, datetime, timedelta

from django.core import mail
from django.utils import timezone

from members.job_models import Notification, NotificationKind
from members.models import TierChange
from members.notifications.collect import notify_tier_changes, send_points_digest
from members.services.tiers import member_tier_assign
from tests.factories import TierFactory
from tests.jobs.conftest import T0, post


def test_a_tier_change_is_told_once_up_or_down(program, make_member, django_capture_on_commit_callbacks):
    # given a program with Green (entry) and an invite-only Reserve, and a member moved up to Reserve by hand
    TierFactory(program=program, key="green", name="Green", position=0, threshold=0)
    TierFactory(program=program, key="reserve", name="Reserve", position=5, invite_only=True, threshold=None)
    member = make_member(program, "c1")
    member_tier_assign(member=member, tier_key="reserve")
    # when the job runs twice
    with django_capture_on_commit_callbacks(execute=True):
        first = notify_tier_changes(timezone.now())
    second = notify_tier_changes(timezone.now())
    # then one "welcome" email (joining the entry tier is not told), and every change is marked told
    assert (first, second) == (1, 0)
    assert mail.outbox[0].subject == "Welcome to Reserve"
    assert not TierChange.objects.filter(notified_at__isnull=True).exists()
    # and a move back down is told as such
    member_tier_assign(member=member, tier_key=None)
    with django_capture_on_commit_callbacks(execute=True):
        notify_tier_changes(timezone.now())
    assert mail.outbox[1].subject == "Your tier is now Green"


def test_points_earned_in_a_day_are_one_digest(program, make_member, django_capture_on_commit_callbacks):
    # given two earnings on Jan 10 and one on Jan 11
    member = make_member(program, "c1")
    post(member, 30, T0, "a")
    post(member, 12, T0 + timedelta(hours=3), "b")
    post(member, 5, T0 + timedelta(days=1), "c")
    # when the digest runs on Jan 11, twice
    with django_capture_on_commit_callbacks(execute=True):
        first = send_points_digest(datetime(2026, 1, 11, 6, tzinfo=UTC))
    second = send_points_digest(datetime(2026, 1, 11, 7, tzinfo=UTC))
    # then one email for Jan 10's 42 points
    assert (first, second) == (1, 0)
    digest = Notification.objects.get()
    assert (digest.kind, digest.context["points"]) == (NotificationKind.POINTS_EARNED, 42)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "You earned 42 Points"
