"""A member's `me` answer is kept beside the member under their version: whatever it shows that changes is shown
by the very next call, from any process, and what changes with the clock alone ends the kept answer on time."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from members.api.serializers import MemberOutputSerializer, TransactionOutputSerializer
from members.services.adjustments import points_adjust
from rewards.api.serializers import RewardOutputSerializer, VoucherOutputSerializer
from rewards.models import Reward
from rewards.services.redemptions import reward_redeem
from rewards.services.vouchers import voucher_consume
from storefront.models import MeAnswer
from storefront.widget.selectors import me_deadline, member_for_me, member_me_version, member_overview
from tests.factories import ProgramFactory, RewardFactory, TierFactory
from tests.factories.rewards import member_with_points
from tests.storefront.conftest import widget_client

pytestmark = pytest.mark.django_db


def me(client) -> dict:
    response = client.get("/api/widget/v1/me")
    assert response.status_code == 200
    return response.json()


def test_an_edited_reward_shows_in_the_next_answer(program, django_assert_num_queries):
    # given
    member_with_points(program, 50, customer_id="c-1")
    reward = RewardFactory(program=program, name="Mug", points_cost=100)
    client = widget_client(program, "c-1")
    me(client)
    with django_assert_num_queries(1):  # cached: the version only
        me(client)

    # when
    reward.name, reward.points_cost = "Big mug", 40
    reward.save()

    # then
    [shown] = me(client)["rewards"]
    assert (shown["name"], shown["blocked_by"]) == ("Big mug", None)


def test_an_edited_tier_shows_in_the_next_answer(program):
    # given
    TierFactory(program=program, key="bronze", position=0, threshold=Decimal("0"))
    gold = TierFactory(program=program, key="gold", name="Gold", position=1, threshold=Decimal("1000"))
    member_with_points(program, 100, customer_id="c-1")
    client = widget_client(program, "c-1")
    assert me(client)["member"]["next_tier"]["remaining"] == 1000  # (adjustments do not count)

    # when
    gold.name, gold.threshold = "Golden", Decimal("500")
    gold.save()

    # then
    body = me(client)
    assert body["member"]["next_tier"] == {"key": "gold", "name": "Golden", "remaining": 500}
    assert body["tier_progress"]["next_tier"]["remaining"] == 500


def test_a_code_used_at_checkout_leaves_the_answer_at_once(program):
    # given
    member = member_with_points(program, 500, customer_id="c-1")
    redemption, _ = reward_redeem(member=member, reward=RewardFactory(program=program, points_cost=100))
    client = widget_client(program, "c-1")
    assert len(me(client)["vouchers"]) == 1

    # when: the shop consumes the code (the member row is not touched)
    voucher_consume(voucher=redemption.voucher, order_id="o-1")

    # then
    assert me(client)["vouchers"] == []


def test_stock_taken_by_another_member_shows_at_once(program, django_capture_on_commit_callbacks):
    # given
    reward = RewardFactory(program=program, points_cost=100, stock=1)
    member_with_points(program, 500, customer_id="c-1")
    other = member_with_points(program, 500, customer_id="c-2")
    client = widget_client(program, "c-1")
    assert me(client)["rewards"][0]["blocked_by"] is None

    # when: the catalog token moves once the redemption commits
    with django_capture_on_commit_callbacks(execute=True):
        reward_redeem(member=other, reward=reward)

    # then
    [shown] = me(client)["rewards"]
    assert (shown["stock_left"], shown["blocked_by"]) == (0, "out_of_stock")


def test_the_cached_answer_is_the_built_one(program):
    # given
    TierFactory(program=program, key="bronze", position=0, threshold=Decimal("0"))
    TierFactory(program=program, key="gold", position=1, threshold=Decimal("1000"))
    member_with_points(program, 300, customer_id="c-1")
    RewardFactory(program=program, points_cost=100)
    client = widget_client(program, "c-1")

    # when
    built = client.get("/api/widget/v1/me")
    cached = client.get("/api/widget/v1/me")

    # then
    assert cached.content == built.content and cached["ETag"] == built["ETag"]
    assert cached["Content-Type"] == "application/json"


def test_one_answer_is_kept_per_member_for_every_process(program):
    # given
    member = member_with_points(program, 10, customer_id="c-1")
    client = widget_client(program, "c-1")
    me(client)
    first = MeAnswer.objects.get(member=member)

    # when
    points_adjust(member=member, points=5, reason="thanks")  # a new version
    body = me(client)

    # then: the same row, holding the new version's answer, which another process reads as this one does
    kept = MeAnswer.objects.get(member=member)
    assert kept.version != first.version and bytes(kept.body) == json.dumps(body, separators=(",", ":")).encode()
    cache.clear()  # nothing of it in the process's cache
    assert member_me_version(program=program, customer_id="c-1").kept.etag == kept.etag


def test_an_answer_past_its_time_is_built_again(program, django_assert_num_queries):
    # given
    member = member_with_points(program, 10, customer_id="c-1")
    client = widget_client(program, "c-1")
    me(client)

    # when
    MeAnswer.objects.filter(member=member).update(expires_at=timezone.now() - timedelta(seconds=1))

    # then
    assert member_me_version(program=program, customer_id="c-1").kept is None
    assert me(client)["member"]["points_balance"] == 10
    assert MeAnswer.objects.get(member=member).expires_at > timezone.now()


def test_another_programs_member_has_no_version(program):
    # given
    other_program = ProgramFactory()
    member_with_points(other_program, 10, customer_id="c-1")

    # when / then
    assert member_me_version(program=program, customer_id="c-1") is None
    assert widget_client(program, "c-1").get("/api/widget/v1/me").status_code == 404


def test_the_entry_ends_when_a_reward_window_or_a_code_ends_or_a_reward_starts(program):
    # given
    at = timezone.now()
    member = member_with_points(program, 500, customer_id="c-1")
    reward_redeem(member=member, reward=RewardFactory(program=program, points_cost=100, code_expiry_days=1))
    code_expires_at = member.vouchers.get().expires_at
    member = member_for_me(member_id=member.pk)

    # when
    only_the_code = me_deadline(member=member, overview=member_overview(member=member, at=at), at=at)
    RewardFactory(program=program, points_cost=100, ends_at=at + timedelta(hours=2))
    with_a_window = me_deadline(member=member, overview=member_overview(member=member, at=at), at=at)
    RewardFactory(program=program, points_cost=100, starts_at=at + timedelta(hours=1))
    with_an_upcoming_reward = me_deadline(member=member, overview=member_overview(member=member, at=at), at=at)

    # then
    assert only_the_code == code_expires_at
    assert with_a_window == at + timedelta(hours=2)
    assert with_an_upcoming_reward == at + timedelta(hours=1)


def test_the_answer_shows_the_server_apis_member_transactions_rewards_and_codes(program):
    # given
    TierFactory(program=program, key="bronze", position=0, threshold=Decimal("0"))
    gold = TierFactory(program=program, key="gold", position=1, threshold=Decimal("1000"))
    member = member_with_points(program, 500, customer_id="c-1")
    reward_redeem(member=member, reward=RewardFactory(program=program, points_cost=100, stock=5))
    RewardFactory(program=program, points_cost=100, min_tier=gold)
    RewardFactory(program=program, points_cost=10_000)
    member = member_for_me(member_id=member.pk)

    # when
    body = widget_client(program, "c-1").get("/api/widget/v1/me").json()

    # then: the server API's serializers, rendered the same
    def rendered(data):
        return json.loads(JSONRenderer().render(data))

    assert body["member"] == rendered(MemberOutputSerializer(member).data)
    assert body["transactions"] == rendered(
        TransactionOutputSerializer(member.transactions.order_by("-id"), many=True).data
    )
    assert body["vouchers"] == rendered(VoucherOutputSerializer(member.vouchers.all(), many=True).data)
    catalog = rendered(RewardOutputSerializer(Reward.objects.filter(program=program), many=True).data)
    assert [{k: v for k, v in r.items() if k not in ("redeemable", "blocked_by")} for r in body["rewards"]] == catalog
    assert [list(r)[-2:] for r in body["rewards"]] == [["redeemable", "blocked_by"]] * 3
    assert [r["blocked_by"] for r in body["rewards"]] == [None, "tier_required", "insufficient_points"]


def test_a_saved_program_is_looked_up_again_at_once(program, django_assert_num_queries):
    # given
    client = widget_client(program)
    assert client.get("/api/widget/v1/program").json()["name"] == program.name

    # when
    program.name = "Renamed rewards"
    program.save()

    # then
    assert client.get("/api/widget/v1/program").json()["name"] == "Renamed rewards"
