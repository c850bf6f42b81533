from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from loyalty.choices import ExpiryPolicy
from members.services.adjustments import points_adjust
from rewards.services.redemptions import reward_redeem
from tests.factories import RewardFactory, TierFactory
from tests.factories.rewards import member_with_points
from tests.storefront.conftest import widget_client

pytestmark = pytest.mark.django_db

# Program, the version (member row, catalog token, kept answer), on PostgreSQL the one statement of the first view
# (storefront/widget/first_view.py: member, program settings, tiers with the member's metric, recent transactions,
# catalog, active codes, next lot), elsewhere the reference build's seven (member with program and tier, the catalog,
# tier standing, recent transactions, active codes, the next lot), and the answer kept (an upsert).
# Fixed, whatever the history's length.
ME_QUERIES = 4 if connection.vendor == "postgresql" else 9
# While nothing shown has changed, the kept answer comes with the version (the program from the cache).
ME_CACHED_QUERIES = 1


def test_me_shows_balance_tier_progress_rewards_codes_and_referral_link(program):
    # given
    TierFactory(program=program, key="bronze", position=0, threshold=Decimal("0"))
    TierFactory(program=program, key="gold", position=1, threshold=Decimal("1000"))
    member = member_with_points(program, 900, customer_id="c-1")
    cheap = RewardFactory(program=program, key="cheap", points_cost=100)
    RewardFactory(program=program, key="dear", points_cost=5000)
    reward_redeem(member=member, reward=cheap)

    # when
    body = widget_client(program, "c-1").get("/api/widget/v1/me").json()

    # then
    assert body["member"]["points_balance"] == 800
    assert body["member"]["referral_url"].endswith(f"/r/{member.referral_code}")
    assert body["tier_progress"]["next_tier"]["key"] == "gold"
    assert {r["key"]: r["blocked_by"] for r in body["rewards"]} == {"cheap": None, "dear": "insufficient_points"}
    assert [v["reward"]["key"] for v in body["vouchers"]] == ["cheap"]
    assert [t["points"] for t in body["transactions"]] == [-100, 900]
    assert body["next_expiry"] is None


def test_me_tells_when_points_expire_after_inactivity(program):
    # given
    program.expiry_policy, program.expiry_days = ExpiryPolicy.INACTIVITY, 365
    program.save()
    member = member_with_points(program, 250, customer_id="c-1")

    # when
    body = widget_client(program, "c-1").get("/api/widget/v1/me").json()

    # then
    assert body["next_expiry"]["points"] == 250
    expected = member.last_activity_at + timedelta(days=365)
    assert abs(timezone.datetime.fromisoformat(body["next_expiry"]["expires_at"]) - expected) < timedelta(seconds=1)


def test_me_is_private_and_answers_304_when_nothing_changed(program):
    # given
    member = member_with_points(program, 10, customer_id="c-1")
    client = widget_client(program, "c-1")
    first = client.get("/api/widget/v1/me")

    # when
    same = client.get("/api/widget/v1/me", HTTP_IF_NONE_MATCH=first["ETag"])
    points_adjust(member=member, points=5, reason="thanks")
    changed = client.get("/api/widget/v1/me", HTTP_IF_NONE_MATCH=first["ETag"])

    # then
    assert first["Cache-Control"].startswith("private")
    assert same.status_code == 304
    assert changed.status_code == 200 and changed.json()["member"]["points_balance"] == 15


@pytest.mark.parametrize("history", [1, 30])
def test_me_query_count_is_pinned(program, django_assert_num_queries, history):
    # given
    program.expiry_policy, program.expiry_days = ExpiryPolicy.FIXED, 365
    program.save()
    TierFactory(program=program, position=0, threshold=Decimal("0"))
    TierFactory(program=program, position=1, threshold=Decimal("100000"))
    member = member_with_points(program, 10_000, customer_id="c-1")
    for i in range(history):
        points_adjust(member=member, points=1, reason=f"r{i}")
        reward_redeem(member=member, reward=RewardFactory(program=program, points_cost=10))
    client = widget_client(program, "c-1")

    # when / then
    with django_assert_num_queries(ME_QUERIES):
        assert client.get("/api/widget/v1/me").status_code == 200


def test_a_repeated_me_is_served_from_the_cache_until_the_member_changes(program, django_assert_num_queries):
    # given
    program.expiry_policy, program.expiry_days = ExpiryPolicy.FIXED, 365
    program.save()
    member = member_with_points(program, 10, customer_id="c-1")
    client = widget_client(program, "c-1")
    client.get("/api/widget/v1/me")

    # when / then
    with django_assert_num_queries(ME_CACHED_QUERIES):
        assert client.get("/api/widget/v1/me").json()["member"]["points_balance"] == 10
    points_adjust(member=member, points=5, reason="thanks")
    with django_assert_num_queries(ME_QUERIES - 1):  # the program is still cached
        assert client.get("/api/widget/v1/me").json()["member"]["points_balance"] == 15


def test_a_redemption_shows_at_once_in_me(program):
    # given
    member_with_points(program, 1000, customer_id="c-1")
    reward = RewardFactory(program=program, points_cost=400)
    client = widget_client(program, "c-1")
    client.get("/api/widget/v1/me")

    # when
    code = client.post("/api/widget/v1/me/redemptions", {"reward_id": reward.pk}, format="json").json()["code"]
    body = client.get("/api/widget/v1/me").json()

    # then
    assert body["member"]["points_balance"] == 600
    assert code in [v["code"] for v in body["vouchers"]]
