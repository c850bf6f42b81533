"""Merchant admin of challenges and leaderboards: scoped to the merchant, with completion counts."""

from django.urls import reverse

from challenges.models import Challenge, ChallengeProgress, Leaderboard
from loyalty.choices import StaffRole
from members.services.events import event_record
from tests.admin.conftest import client_of, shop, staff_user
from tests.factories.challenges import ChallengeFactory, LeaderboardFactory


def _completed_by(challenge, member, n):
    event_record(program=challenge.program, event_id=f"e-{n}", customer_id=member.customer_id, type="review")


def test_challenge_list_shows_completions_of_own_merchant_only(db, django_assert_max_num_queries):
    # given two merchants, each with a challenge; one member of A completed A's
    merchant_a, program_a, member_a = shop("Alpha")
    _merchant_b, program_b, _member_b = shop("Beta")
    alpha = ChallengeFactory(program=program_a, name="Alpha reviews", metric="event", event_type="review", target=1)
    ChallengeFactory(program=program_b, name="Beta orders")
    _completed_by(alpha, member_a, 1)
    client = client_of(staff_user(merchant_a, role=StaffRole.MANAGER))
    # when A's manager opens the list
    with django_assert_max_num_queries(15):
        response = client.get(reverse("admin:challenges_challenge_changelist"))
    # then only A's challenge, with one completion
    html = response.content.decode()
    assert response.status_code == 200
    assert "Alpha reviews" in html and "Beta orders" not in html
    row = response.context["cl"].result_list[0]
    assert row.completed_count == 1


def test_other_merchants_challenge_page_is_out_of_reach(db):
    merchant_a, _program_a, _member = shop("Alpha")
    _merchant_b, program_b, _ = shop("Beta")
    beta = ChallengeFactory(program=program_b, name="Beta orders")
    board = LeaderboardFactory(program=program_b)
    client = client_of(staff_user(merchant_a, role=StaffRole.OWNER))
    for url in (
        reverse("admin:challenges_challenge_change", args=[beta.pk]),
        reverse("admin:challenges_leaderboard_change", args=[board.pk]),
    ):
        response = client.get(url)
        assert response.status_code in (302, 403, 404)
        assert "Beta" not in response.content.decode()


def test_manager_creates_a_challenge_and_it_goes_live(db):
    # given a manager of A
    merchant_a, program_a, member = shop("Alpha")
    client = client_of(staff_user(merchant_a, role=StaffRole.MANAGER))
    # when they add a "1 review" challenge in the admin
    response = client.post(
        reverse("admin:challenges_challenge_add"),
        {
            "program": program_a.pk,
            "key": "review-1",
            "name": "Review once",
            "description": "",
            "translations": "{}",
            "active": "on",
            "position": 0,
            "metric": "event",
            "event_type": "review",
            "target": "1",
            "reward_points": 30,
            "reward": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    # then the next review completes it (the cached list was refreshed by the save)
    event_record(program=program_a, event_id="r1", customer_id=member.customer_id, type="review")
    assert ChallengeProgress.objects.get(challenge=Challenge.objects.get(key="review-1")).completed_at is not None


def test_support_staff_view_but_do_not_edit_leaderboards(db):
    merchant_a, program_a, _member = shop("Alpha")
    board = LeaderboardFactory(program=program_a, enabled=False)
    client = client_of(staff_user(merchant_a, role=StaffRole.SUPPORT))
    url = reverse("admin:challenges_leaderboard_change", args=[board.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"program": program_a.pk, "enabled": "on", "period": "month", "size": 10})
    assert Leaderboard.objects.get(pk=board.pk).enabled is False


def test_event_metric_without_type_is_refused(db):
    merchant_a, program_a, _member = shop("Alpha")
    client = client_of(staff_user(merchant_a, role=StaffRole.OWNER))
    response = client.post(
        reverse("admin:challenges_challenge_add"),
        {
            "program": program_a.pk,
            "key": "bad",
            "name": "Bad",
            "translations": "{}",
            "position": 0,
            "metric": "event",
            "event_type": "",
            "target": "1.5",
            "reward_points": 0,
            "reward": "",
        },
    )
    assert response.status_code == 200
    assert not Challenge.objects.filter(key="bad").exists()
