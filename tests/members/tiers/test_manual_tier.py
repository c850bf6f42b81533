from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from loyalty.errors import ValidationFailed
from members.choices import TierChangeReason
from members.models import Member, TierChange
from members.services.tier_recalculation import tiers_recalculate
from members.services.tiers import member_next_tier, member_tier_assign
from members.tier_selectors import tier_for_units, tiers_by_rank
from tests.conftest import client_for
from tests.factories import ProgramFactory, TierFactory
from tests.members.tiers.conftest import T0, tier_key


def test_invite_only_tier_is_assigned_by_hand_and_recorded(tiered, order, db):
    # given a Green member and a staff user
    tiered()
    member = order("1", "10.00").member
    staff = get_user_model().objects.create_user("ops", password="x")
    # when staff puts them in invite-only Reserve
    member = member_tier_assign(member=member, tier_key="reserve", acting_user=staff, at=T0)
    # then they are Reserve, locked, and the history names who did it
    assert (member.tier.key, member.tier_locked) == ("reserve", True)
    change = TierChange.objects.get(reason=TierChangeReason.MANUAL)
    assert (change.from_tier.key, change.to_tier.key, change.acting_user) == ("green", "reserve", staff)


def test_invite_only_tier_is_never_reached_by_thresholds(tiered, order, program):
    # given Reserve is invite-only and ranked above Gold
    tiered()
    # when a member earns far more than any threshold
    order("1", "100000.00")
    # then they are Gold, and no amount maps to Reserve
    assert tier_key() == "gold"
    tiers = tiers_by_rank(program_id=program.pk)
    assert tier_for_units(program=program, tiers=tiers, units=10**12).key == "gold"


def test_invite_only_tier_is_not_offered_as_the_next_tier(tiered, order):
    # given a Gold member
    tiered()
    member = order("1", "500.00").member
    # then there is no next tier: Reserve is by invitation only
    assert member_next_tier(member=member, at=T0) is None


def test_manual_tier_survives_recalculation_until_removed(tiered, order):
    # given a member with 50 points invited to Reserve
    tiered(period="rolling_12_months")
    member = order("1", "50.00").member
    member_tier_assign(member=member, tier_key="reserve", at=T0)
    # when the job runs years later, then the manual tier is removed
    tiers_recalculate(as_of=T0 + timedelta(days=1000))
    kept = tier_key()
    member = member_tier_assign(member=member, tier_key=None, at=T0 + timedelta(days=1001))
    # then Reserve was kept, and removing it puts the member in the tier their activity earns
    assert kept == "reserve"
    assert (member.tier.key, member.tier_locked) == ("green", False)
    assert TierChange.objects.filter(reason=TierChangeReason.MANUAL).count() == 2


def test_repeating_an_assignment_changes_nothing(tiered, order):
    # given a member invited to Reserve
    tiered()
    member = order("1", "10.00").member
    member_tier_assign(member=member, tier_key="reserve", at=T0)
    # when the same call comes again
    member_tier_assign(member=member, tier_key="reserve", at=T0)
    member_tier_assign(member=member, tier_key=None, at=T0)
    member_tier_assign(member=member, tier_key=None, at=T0)
    # then one change each way is recorded
    assert TierChange.objects.filter(reason=TierChangeReason.MANUAL).count() == 2


def test_unknown_tier_is_refused_and_writes_nothing(tiered, order):
    # given a member
    tiered()
    member = order("1", "10.00").member
    # when an unknown tier is assigned
    with pytest.raises(ValidationFailed) as refused:
        member_tier_assign(member=member, tier_key="platinum")
    # then it is `unknown_tier` and the member is as they were
    assert refused.value.code == "unknown_tier"
    assert tier_key() == "green" and not Member.objects.get().tier_locked


def test_api_assigns_and_removes_a_manual_tier(tiered, order, api):
    # given a Green member
    tiered()
    order("1", "10.00", customer_id="c-42")
    # when the API puts them in Reserve, then removes it
    invited = api.post("/api/v1/members/c-42/tier", {"tier": "reserve"}, format="json")
    removed = api.post("/api/v1/members/c-42/tier", {"tier": None}, format="json")
    # then the answers are the member, first in Reserve (nothing above), then back in Green
    assert invited.status_code == 200, invited.content
    assert invited.json()["tier"] == {"key": "reserve", "name": "Reserve"}
    assert invited.json()["next_tier"] is None
    assert removed.status_code == 200
    assert removed.json()["tier"] == {"key": "green", "name": "Green"}
    assert removed.json()["next_tier"] == {"key": "gold", "name": "Gold", "remaining": 290}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"tier": "platinum"}, 400, "unknown_tier"),
        ({}, 400, "invalid_input"),
        ({"tier": 3}, 400, "invalid_input"),
        ({"tier": "x" * 61}, 400, "invalid_input"),
        ({"tier": ["gold"]}, 400, "invalid_input"),
    ],
)
def test_api_refuses_bad_bodies(tiered, order, api, body, status, code):
    # given a member
    tiered()
    order("1", "10.00", customer_id="c-42")
    # when a bad body is posted
    response = api.post("/api/v1/members/c-42/tier", body, format="json")
    # then it is refused with a stable code and nothing changes
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert tier_key("c-42") == "green" and not TierChange.objects.filter(reason=TierChangeReason.MANUAL).exists()


def test_api_cannot_reach_another_program_s_member_or_tier(tiered, order):
    # given a member of this program, and another program with its own `vip` tier
    tiered()
    order("1", "10.00", customer_id="c-42")
    other = ProgramFactory()
    TierFactory(program=other, key="vip", invite_only=True, threshold=None)
    other_api = client_for(other)
    # when the other program's key targets this member, and this member is given the other program's tier
    from tests.conftest import client_for as own_client

    cross_member = other_api.post("/api/v1/members/c-42/tier", {"tier": "vip"}, format="json")
    cross_tier = own_client(Member.objects.get().program).post(
        "/api/v1/members/c-42/tier", {"tier": "vip"}, format="json"
    )
    # then the member is not found for the other program, and the foreign tier is unknown here
    assert (cross_member.status_code, cross_member.json()["error"]["code"]) == (404, "member_not_found")
    assert (cross_tier.status_code, cross_tier.json()["error"]["code"]) == (400, "unknown_tier")
    assert tier_key("c-42") == "green"
