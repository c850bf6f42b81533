"""Portal pages: challenges with accessible progress bars, the leaderboard (privacy, masked names, own rank,
opt-in/out with CSRF), tenancy, pinned query counts, translations."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from challenges.choices import ChallengeMetric
from members.models import Member
from members.services.adjustments import points_adjust
from members.services.events import event_record
from referrals.services.flows import order_paid
from tests.factories import RewardFactory
from tests.factories.challenges import ChallengeFactory, LeaderboardFactory
from tests.factories.portal import portal_member, portal_program, signed_in


@pytest.fixture
def shop(db):
    return portal_program()


def _pay(member, order_id, subtotal="10"):
    return order_paid(
        program=member.program,
        order_id=order_id,
        customer_id=member.customer_id,
        subtotal=Decimal(subtotal),
        currency="USD",
    )


def _url(name, program):
    return reverse(f"challenges:{name}", kwargs={"slug": program.slug})


def test_challenges_page_shows_progress_bars(client, shop):
    # given two running challenges, one halfway, and one not started yet
    reward = RewardFactory(program=shop, name="Free mug")
    ChallengeFactory(program=shop, name="Shop twice", target=2, reward_points=100)
    ChallengeFactory(
        program=shop,
        name="Review",
        metric=ChallengeMetric.EVENT,
        event_type="review",
        target=1,
        reward=reward,
        reward_points=0,
        ends_at=timezone.now() + timedelta(days=3),
    )
    ChallengeFactory(program=shop, name="Later", starts_at=timezone.now() + timedelta(days=1))
    member = portal_member(shop)
    _pay(member, "o1")
    signed_in(client, member)
    # when
    response = client.get(_url("challenges", shop))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Shop twice" in html and "Review" in html and "Later" not in html
    assert 'role="progressbar"' in html and 'aria-valuenow="1" aria-valuetext="1 of 2 orders"' in html
    assert 'aria-valuemax="2"' in html and "width: 50%" in html
    assert "Free mug" in html and "100 Stars" in html


def test_completed_challenge_is_marked(client, shop):
    ChallengeFactory(program=shop, name="First order", target=1)
    member = portal_member(shop)
    _pay(member, "o1")
    signed_in(client, member)
    html = client.get(_url("challenges", shop)).content.decode()
    assert "Completed" in html and "width: 100%" in html


def test_challenges_page_in_arabic_is_rtl_with_translated_text(client, shop):
    ChallengeFactory(program=shop, name="Shop twice", target=2, translations={"ar": {"name": "تسوق مرتين"}})
    member = portal_member(shop)
    signed_in(client, member)
    response = client.get(_url("challenges", shop) + "?lang=ar")
    html = response.content.decode()
    assert 'dir="rtl"' in html and "تسوق مرتين" in html and "Shop twice" not in html
    assert "التحديات" in html  # "Challenges" in the navigation and the title


def test_challenges_page_in_persian(client, shop):
    ChallengeFactory(program=shop, name="Shop twice", target=2)
    signed_in(client, portal_member(shop))
    html = client.get(_url("challenges", shop) + "?lang=fa").content.decode()
    assert 'dir="rtl"' in html and "چالش" in html


def test_strangers_are_sent_to_sign_in(client, shop):
    response = client.get(_url("challenges", shop))
    assert response.status_code == 302 and "sign-in" in response["Location"]


def test_another_programs_challenges_are_not_shown(client, shop):
    other = portal_program()
    ChallengeFactory(program=other, name="Elsewhere")
    signed_in(client, portal_member(shop))
    assert "Elsewhere" not in client.get(_url("challenges", shop)).content.decode()


@pytest.mark.parametrize("orders", [0, 30])
def test_challenges_page_query_count_is_fixed(client, shop, orders, django_assert_num_queries):
    # given three challenges and a member with a short or long history
    for n in range(3):
        ChallengeFactory(program=shop, target=50 + n)
    member = portal_member(shop)
    for n in range(orders):
        _pay(member, f"o{n}")
    signed_in(client, member)
    client.get(_url("challenges", shop))  # the program's challenges are cached from here on
    # when / then: session, member + program + tier, the member's progress, the leaderboard config
    with django_assert_num_queries(4):
        response = client.get(_url("challenges", shop))
    assert response.status_code == 200


# Leaderboard


def _earner(program, first, last, points, opt_in=True):
    member = portal_member(program)
    Member.objects.filter(pk=member.pk).update(first_name=first, last_name=last, leaderboard_opt_in=opt_in)
    member.refresh_from_db()
    # challenge points count as earned (adjustments don't): a challenge completed through an event
    ChallengeFactory(
        program=program, metric=ChallengeMetric.EVENT, event_type=f"win-{member.pk}", target=1, reward_points=points
    )
    event_record(program=program, event_id=f"win-{member.pk}", customer_id=member.customer_id, type=f"win-{member.pk}")
    return member


def test_leaderboard_shows_only_opted_in_members_with_masked_names(client, shop):
    # given a leaderboard and four members, one of whom opted out
    LeaderboardFactory(program=shop, size=10)
    sara = _earner(shop, "Sara", "Karimi", 500)
    _earner(shop, "Omid", "Rahimi", 300)
    _earner(shop, "Hidden", "Person", 900, opt_in=False)
    viewer = _earner(shop, "Lena", "Zed", 100)
    points_adjust(member=viewer, points=10_000, reason="manual gifts don't count")
    signed_in(client, viewer)
    # when
    html = client.get(_url("leaderboard", shop)).content.decode()
    # then: masked names, in order, never the opted-out member, email or customer id
    assert html.index("Sara K.") < html.index("Omid R.") < html.index("Lena Z.")
    assert "Hidden" not in html and "Karimi" not in html
    assert sara.email not in html and sara.customer_id not in html
    assert "You are number 3, with 50 Stars earned." not in html
    assert "You are number 3" in html


def test_opt_out_removes_the_member_at_once(client, shop):
    LeaderboardFactory(program=shop)
    sara = _earner(shop, "Sara", "Karimi", 500)
    viewer = _earner(shop, "Lena", "Zed", 100)
    signed_in(client, viewer)
    assert "Sara K." in client.get(_url("leaderboard", shop)).content.decode()  # now cached
    # when Sara opts out in her own session
    sara_client = signed_in(Client(), sara)
    response = sara_client.post(_url("leaderboard-opt-in", shop), {"opt_in": "0"})
    assert response.status_code == 302
    # then she is gone from the (cached) board at once
    assert not Member.objects.get(pk=sara.pk).leaderboard_opt_in
    assert "Sara K." not in client.get(_url("leaderboard", shop)).content.decode()


def test_opt_in_needs_csrf(shop):
    LeaderboardFactory(program=shop)
    member = portal_member(shop)
    strict = signed_in(Client(enforce_csrf_checks=True), member)
    assert strict.post(_url("leaderboard-opt-in", shop), {"opt_in": "1"}).status_code == 403
    assert not Member.objects.get(pk=member.pk).leaderboard_opt_in


def test_opt_in_shows_the_member(client, shop):
    LeaderboardFactory(program=shop)
    member = _earner(shop, "Nour", "Haddad", 40, opt_in=False)
    signed_in(client, member)
    assert "Nour H." not in client.get(_url("leaderboard", shop)).content.decode()
    client.post(_url("leaderboard-opt-in", shop), {"opt_in": "1"})
    html = client.get(_url("leaderboard", shop)).content.decode()
    assert "Nour H." in html and "You are number 1" in html


def test_disabled_leaderboard_is_not_found(client, shop):
    LeaderboardFactory(program=shop, enabled=False)
    signed_in(client, portal_member(shop))
    assert client.get(_url("leaderboard", shop)).status_code == 404
    assert client.post(_url("leaderboard-opt-in", shop), {"opt_in": "1"}).status_code == 404


def test_leaderboard_never_shows_another_programs_members(client, shop):
    other = portal_program()
    LeaderboardFactory(program=shop)
    LeaderboardFactory(program=other)
    _earner(other, "Outsider", "X", 999)
    signed_in(client, _earner(shop, "Lena", "Zed", 10))
    assert "Outsider" not in client.get(_url("leaderboard", shop)).content.decode()


@pytest.mark.parametrize(("size", "queries"), [(10, 3), (2, 4)])
def test_leaderboard_page_query_count(client, shop, size, queries, django_assert_num_queries):
    # given a viewer with the fewest points, on the board (size 10) or off it (size 2)
    LeaderboardFactory(program=shop, size=size)
    viewer = _earner(shop, "Lena", "Zed", 10)
    for n in range(5):
        _earner(shop, f"M{n}", "X", 10 * n + 20)
    signed_in(client, viewer)
    client.get(_url("leaderboard", shop))  # the top list is cached from here on
    # session, member + program + tier, the leaderboard config; the viewer's rank: from the cached list when
    # they are on it, else one ranking query
    with django_assert_num_queries(queries):
        response = client.get(_url("leaderboard", shop))
    assert response.status_code == 200
    assert "You are number 6" in response.content.decode()
