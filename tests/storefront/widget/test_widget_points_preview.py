from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from loyalty.choices import RuleType
from loyalty.models import Tier
from members.models import Member
from tests.factories import EarningRuleFactory, TierFactory
from tests.factories.rewards import member_with_points
from tests.storefront.conftest import widget_client

pytestmark = pytest.mark.django_db

# The program, then its rules and tiers (loyalty/program_config.py, as orders read them) are cached for a few
# seconds: a cold guest call reads them, a warm one reads nothing; a shopper's adds the member (one prepared
# statement; the tier from the cached configuration).
COLD_GUEST_PREVIEW_QUERIES = 3
GUEST_PREVIEW_QUERIES = 0
SHOPPER_PREVIEW_QUERIES = 1


def test_a_guest_sees_the_points_at_the_program_rate_and_live_bonuses(program):
    # given
    now = timezone.now()
    EarningRuleFactory(
        program=program,
        type=RuleType.BONUS_MULTIPLIER,
        multiplier=Decimal("2"),
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=1),
    )
    EarningRuleFactory(program=program, type=RuleType.BONUS_MULTIPLIER, multiplier=Decimal("5"), ends_at=now)

    # when
    response = widget_client(program).get("/api/widget/v1/points-preview?subtotal=49.99")

    # then
    assert response.status_code == 200
    assert response.json()["points"] == 99
    assert response["Cache-Control"].startswith("public")


def test_a_signed_shopper_sees_their_tier_multiplier(program):
    # given
    gold = TierFactory(program=program, multiplier=Decimal("1.5"))
    member_with_points(program, 0, customer_id="c-1", tier=gold)

    # when
    response = widget_client(program, "c-1").get("/api/widget/v1/points-preview?subtotal=10")

    # then
    assert response.json()["points"] == 15
    assert response["Cache-Control"].startswith("private")


@pytest.mark.parametrize("subtotal", ["", "-1", "abc", "1.234", "1e400", "NaN"])
def test_a_bad_subtotal_is_400(program, subtotal):
    # when
    response = widget_client(program).get(f"/api/widget/v1/points-preview?subtotal={subtotal}")

    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_preview_query_counts_are_pinned(program, django_assert_num_queries):
    # given
    member_with_points(program, 0, customer_id="c-1")
    EarningRuleFactory(program=program, type=RuleType.ORDER_THRESHOLD, min_subtotal=Decimal("5"), points=10)

    # when / then
    with django_assert_num_queries(COLD_GUEST_PREVIEW_QUERIES):
        assert widget_client(program).get("/api/widget/v1/points-preview?subtotal=9").json()["points"] == 19
    with django_assert_num_queries(GUEST_PREVIEW_QUERIES):
        assert widget_client(program).get("/api/widget/v1/points-preview?subtotal=9").json()["points"] == 19
    with django_assert_num_queries(SHOPPER_PREVIEW_QUERIES):
        assert widget_client(program, "c-1").get("/api/widget/v1/points-preview?subtotal=9").status_code == 200


def test_a_rule_saved_in_the_admin_shows_in_the_next_preview(program):
    # given a warm preview
    client = widget_client(program)
    assert client.get("/api/widget/v1/points-preview?subtotal=9").json()["points"] == 9
    # when a threshold rule is added
    EarningRuleFactory(program=program, type=RuleType.ORDER_THRESHOLD, min_subtotal=Decimal("5"), points=10)
    # then the cached rules are dropped and the next preview counts it
    assert client.get("/api/widget/v1/points-preview?subtotal=9").json()["points"] == 19


def test_a_tier_newer_than_the_cached_configuration_still_counts(program):
    # given a warm shopper preview (the program's rules and tiers cached) at Gold's 1.5
    gold = TierFactory(program=program, key="gold", multiplier=Decimal("1.5"))
    member = member_with_points(program, 0, customer_id="c-1", tier=gold)
    client = widget_client(program, "c-1")
    assert client.get("/api/widget/v1/points-preview?subtotal=10").json()["points"] == 15
    # when the member is moved to a tier the cached configuration does not hold yet (a bulk update, no signal)
    [platinum] = Tier.objects.bulk_create([TierFactory.build(program=program, key="platinum", multiplier=Decimal("3"))])
    Member.objects.filter(pk=member.pk).update(tier=platinum)

    # then the preview reads that tier and counts its multiplier
    assert client.get("/api/widget/v1/points-preview?subtotal=10").json()["points"] == 30


def test_an_unknown_signed_shopper_is_404_as_before(program):
    response = widget_client(program, "nobody").get("/api/widget/v1/points-preview?subtotal=10")
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "member_not_found", "message": "No member with customer_id 'nobody'."}
