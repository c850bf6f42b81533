from datetime import timedelta

from django.utils import timezone

from tests.jobs.conftest import post


def test_the_member_answer_shows_the_next_lot_to_expire(fixed_program, make_member, api):
    # given lots of 40 (earned 10 days ago) and 25 (earned today) under 30-day expiry, 15 of them spent
    now = timezone.now().replace(microsecond=0)
    member = make_member(fixed_program, "c1")
    post(member, 40, now - timedelta(days=10), "a")
    post(member, 25, now, "b")
    post(member, -15, now, "c", kind="redeem")
    # when the member is read through the API
    body = api.get("/api/v1/members/c1").json()
    # then the next expiry is what is left of the oldest lot, in 20 days
    assert body["next_expiry"]["points"] == 25
    assert body["next_expiry"]["at"].startswith((now + timedelta(days=20)).date().isoformat())


def test_inactivity_the_whole_balance_at_the_deadline(inactivity_program, make_member, api):
    # given 70 points, last active now
    now = timezone.now().replace(microsecond=0)
    member = make_member(inactivity_program, "c1")
    post(member, 70, now, "a")
    # then the whole balance expires a year after the last activity
    expiry = api.get("/api/v1/members/c1").json()["next_expiry"]
    assert expiry["points"] == 70
    assert expiry["at"].startswith((now + timedelta(days=365)).date().isoformat())


def test_never_policy_has_no_expiry(program, make_member, api):
    # given points in a program whose points never expire
    member = make_member(program, "c1")
    post(member, 70, timezone.now(), "a")
    # then there is nothing to expire
    assert api.get("/api/v1/members/c1").json()["next_expiry"] is None
