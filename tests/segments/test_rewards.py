"""Rewards limited to a segment: offered (widget, portal) only to the segment's members, redeemed only by them
(409 segment_required, nothing written), and no query spent when no reward is segment-limited."""

import pytest
from django.test import Client

from loyalty.models import Segment
from members.models import Transaction
from rewards.errors import SegmentRequired
from rewards.models import Redemption
from rewards.selectors import reward_list, rewards_offered
from rewards.services.redemptions import reward_redeem
from tests.conftest import client_for
from tests.factories import ProgramFactory, RewardFactory
from tests.factories.portal import signed_in
from tests.factories.rewards import member_with_points
from tests.storefront.conftest import widget_client


@pytest.fixture
def catalog(db):
    program = ProgramFactory(slug="seg-shop")
    pros = Segment.objects.create(program=program, key="pros", name="Pros",
                                  conditions=[{"field": "attributes.plan", "operator": "eq", "value": "pro"}])  # fmt: skip
    everyone = RewardFactory(program=program, key="five-off", name="Five off", points_cost=10)
    pro_only = RewardFactory(program=program, key="pro-gift", name="Pro gift", points_cost=10, segment=pros)
    pro = member_with_points(program, 100, customer_id="pro")
    pro.attributes = {"plan": "pro"}
    pro.save(update_fields=["attributes"])
    free = member_with_points(program, 100, customer_id="free")
    return program, everyone, pro_only, pro, free


def keys(rewards) -> list[str]:
    return [reward.key for reward in rewards]


def test_only_the_segments_members_are_offered_the_reward(catalog, django_assert_num_queries):
    program, _everyone, _pro_only, pro, free = catalog
    rewards = list(reward_list(program=program))

    with django_assert_num_queries(1):
        assert keys(rewards_offered(rewards, member=pro)) == ["five-off", "pro-gift"]
    assert keys(rewards_offered(rewards, member=free)) == ["five-off"]
    with django_assert_num_queries(0):
        assert keys(rewards_offered(rewards, member=None)) == ["five-off"]


def test_no_segment_limited_reward_costs_no_query(db, django_assert_num_queries):
    program = ProgramFactory()
    RewardFactory(program=program, key="a")
    member = member_with_points(program, 0)
    rewards = list(reward_list(program=program))

    with django_assert_num_queries(0):
        assert keys(rewards_offered(rewards, member=member)) == ["a"]


def test_a_member_outside_the_segment_cannot_redeem_and_nothing_is_written(catalog):
    _program, _everyone, pro_only, _pro, free = catalog
    ledger_rows = Transaction.objects.count()

    with pytest.raises(SegmentRequired):
        reward_redeem(member=free, reward=pro_only)

    assert Redemption.objects.count() == 0
    assert Transaction.objects.count() == ledger_rows
    free.refresh_from_db()
    assert free.points_balance == 100


def test_a_member_of_the_segment_redeems(catalog, assert_ledger_clean):
    _program, _everyone, pro_only, pro, _free = catalog

    redemption, created = reward_redeem(member=pro, reward=pro_only)

    assert created and redemption.points_spent == 10
    assert_ledger_clean()


def test_api_redemption_outside_the_segment_is_409_segment_required(catalog):
    program, _everyone, pro_only, _pro, _free = catalog

    answer = client_for(program).post("/api/v1/members/free/redemptions", {"reward_id": pro_only.pk}, format="json")

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "segment_required"
    assert Redemption.objects.count() == 0


def test_widget_lists_the_reward_to_the_segments_members_only(catalog):
    program, *_ = catalog

    def listed(customer_id):
        return [r["key"] for r in widget_client(program, customer_id).get("/api/widget/v1/me").json()["rewards"]]

    assert listed("pro") == ["five-off", "pro-gift"]
    assert listed("free") == ["five-off"]
    public = widget_client(program).get("/api/widget/v1/program").json()["ways_to_spend"]
    assert [r["key"] for r in public] == ["five-off"]


def test_portal_rewards_page_lists_the_reward_to_the_segments_members_only(catalog):
    program, _everyone, _pro_only, pro, free = catalog

    assert "Pro gift" in signed_in(Client(), pro).get(f"/p/{program.slug}/rewards/").content.decode()
    page = signed_in(Client(), free).get(f"/p/{program.slug}/rewards/").content.decode()
    assert "Five off" in page and "Pro gift" not in page


def test_a_reward_or_rule_cannot_name_another_programs_segment(catalog):
    from django.core.exceptions import ValidationError

    from tests.factories import EarningRuleFactory

    program, everyone, _pro_only, _pro, _free = catalog
    elsewhere = Segment.objects.create(program=ProgramFactory(merchant=program.merchant), key="x", name="X")
    everyone.segment = elsewhere
    rule = EarningRuleFactory(program=program, key="r")
    rule.segment = elsewhere

    for row in (everyone, rule):
        with pytest.raises(ValidationError) as caught:
            row.clean()
        assert "segment" in caught.value.message_dict


def test_the_reward_admin_offers_the_segment(catalog):
    from django.urls import reverse

    from loyalty.choices import StaffRole
    from tests.admin.conftest import client_of, staff_user

    program, _everyone, pro_only, _pro, _free = catalog
    owner = client_of(staff_user(program.merchant, StaffRole.OWNER, username="reward-owner"))

    page = owner.get(reverse("admin:rewards_reward_change", args=[pro_only.pk])).content.decode()

    assert 'name="segment"' in page and "Pros" in page


def test_a_used_segment_cannot_be_deleted_but_its_program_can(catalog):
    from django.db.models import RestrictedError

    program, _everyone, pro_only, _pro, _free = catalog

    with pytest.raises(RestrictedError):
        pro_only.segment.delete()  # RESTRICT: the reward still names it
    program.delete()

    assert not Segment.objects.exists()
