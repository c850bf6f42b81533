"""No input makes a challenges page or the widget endpoint fail: never a 5xx, and a bad opt-in value opts out."""

from urllib.parse import urlencode

from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from members.models import Member
from tests.factories.challenges import ChallengeFactory, LeaderboardFactory
from tests.factories.portal import portal_member, portal_program, signed_in
from tests.storefront.conftest import widget_client

text = st.text(max_size=200)
fuzz = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@fuzz
@given(opt_in=text, lang=text)
def test_portal_pages_and_toggle(client, db, opt_in, lang):
    cache.clear()
    program = portal_program()
    LeaderboardFactory(program=program)
    ChallengeFactory(program=program)
    member = portal_member(program)
    signed_in(client, member)
    base = f"/p/{program.slug}"
    answers = [
        client.get(f"{base}/challenges/?{urlencode({'lang': lang})}"),
        client.get(f"{base}/leaderboard/?{urlencode({'lang': lang})}"),
        client.post(f"{base}/leaderboard/opt-in/", {"opt_in": opt_in}),
        client.get(f"{base}/leaderboard/opt-in/"),
    ]
    assert all(answer.status_code < 500 for answer in answers)
    assert answers[3].status_code == 405
    assert Member.objects.get(pk=member.pk).leaderboard_opt_in is (opt_in == "1")


@fuzz
@given(lang=text)
def test_widget_endpoint(db, lang):
    cache.clear()
    program = portal_program()
    ChallengeFactory(program=program)
    member = portal_member(program)
    response = widget_client(program, member.customer_id).get("/api/widget/v1/me/challenges", {"lang": lang})
    assert response.status_code == 200
