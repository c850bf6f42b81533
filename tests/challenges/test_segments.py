"""Challenges limited to a segment: only its members see them (portal, widget) and move toward them."""

import pytest
from django.core.exceptions import ValidationError

from challenges.models import ChallengeProgress
from challenges.selectors import challenge_cards
from loyalty.models import Segment
from members.models import Member
from tests.factories import ProgramFactory
from tests.factories.challenges import ChallengeFactory
from tests.storefront.conftest import widget_client

PRO = [{"field": "attributes.plan", "operator": "eq", "value": "pro"}]


@pytest.fixture
def pros(program):
    return Segment.objects.create(program=program, key="pros", name="Pros", conditions=PRO)


def _make_pro(program, customer_id):
    Member.objects.filter(program=program, customer_id=customer_id).update(attributes={"plan": "pro"})


def test_only_the_segments_members_progress(program, pros, join, pay):
    # given "2 orders" for pros only, a pro and a member outside the segment
    challenge = ChallengeFactory(program=program, key="pro-orders", target=2, segment=pros, reward_points=50)
    join("pro")
    join("free")
    _make_pro(program, "pro")
    # when both pay two orders
    for customer_id in ("pro", "free"):
        pay(f"{customer_id}-1", customer_id=customer_id)
        pay(f"{customer_id}-2", customer_id=customer_id)
    # then the pro completed it and the other member has no progress at all
    done = ChallengeProgress.objects.get(challenge=challenge)
    assert (done.member.customer_id, done.value, done.completed_at is not None) == ("pro", 2, True)


def test_events_of_members_outside_the_segment_do_not_count(program, pros, join, happen):
    # given "1 review" for pros only and a member outside the segment
    challenge = ChallengeFactory(program=program, key="pro-review", metric="event", event_type="review", target=1,
                                 segment=pros)  # fmt: skip
    join("free")
    # when they post a review
    happen("r1", "review", customer_id="free")
    # then nothing moved
    assert not ChallengeProgress.objects.filter(challenge=challenge).exists()


def test_cards_and_widget_show_the_challenge_to_the_segment_only(program, pros, join, django_assert_num_queries):
    # given one challenge for everyone and one for pros
    ChallengeFactory(program=program, key="all", name="For all", position=0)
    ChallengeFactory(program=program, key="pros-only", name="For pros", position=1, segment=pros)
    pro, free = join("pro"), join("free")
    _make_pro(program, "pro")
    pro.refresh_from_db()
    # then the pro sees both, the other member only the open one (the segment costs one query)
    challenge_cards(member=pro)  # warm the program's cached list
    with django_assert_num_queries(2):
        assert [card.challenge.key for card in challenge_cards(member=pro)] == ["all", "pros-only"]
    assert [card.challenge.key for card in challenge_cards(member=free)] == ["all"]
    body = widget_client(program, "free").get("/api/widget/v1/me/challenges").json()
    assert [c["key"] for c in body["challenges"]] == ["all"]


def test_a_segment_of_another_program_is_refused(program, pros):
    # given a challenge of another program pointing at this program's segment
    challenge = ChallengeFactory.build(program=ProgramFactory(slug="other"), key="x", segment=pros)
    # then the model's validation refuses it
    with pytest.raises(ValidationError) as refused:
        challenge.full_clean(exclude=["program"])
    assert "segment" in refused.value.message_dict


def test_a_segment_edited_applies_at_once(program, pros, join):
    # given a pros-only challenge and a member outside the segment, whose cards are cached
    ChallengeFactory(program=program, key="pros-only", segment=pros)
    free = join("free")
    assert challenge_cards(member=free) == []
    # when the merchant widens the segment to everyone on the free plan too
    pros.conditions = [{"field": "attributes.plan", "operator": "in", "value": ["pro", "free"]}]
    pros.save()
    Member.objects.filter(pk=free.pk).update(attributes={"plan": "free"})
    # then the member sees the challenge on their next view
    assert [card.challenge.key for card in challenge_cards(member=free)] == ["pros-only"]
