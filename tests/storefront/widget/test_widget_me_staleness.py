"""After every kind of write that changes what a shopper's `me` shows, the very next call shows it, though the
answer before it was kept (storefront/widget/caching.py): the write moved the member's `updated_at` or the
program's catalog token, which the version read on every call compares. (Catalog and tier edits, a code used at
checkout, stock taken and a redemption: test_widget_me_cache.py and test_widget_me.py.)"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from challenges.choices import VOUCHER_SOURCE_CHALLENGE
from donations.services.donate import points_donate
from loyalty.choices import ExpiryPolicy
from members.services.expiry import expire_points
from members.services.members import member_upsert
from members.services.orders import order_record
from members.services.refunds import refund_record
from members.services.tiers import member_tier_assign
from rewards.choices import VoucherSource
from rewards.services.redemptions import redemption_cancel, reward_redeem, voucher_cancel
from rewards.services.vouchers import voucher_issue
from storefront.models import MeAnswer
from tests.factories import RewardFactory, TierFactory
from tests.factories.donations import cause
from tests.factories.rewards import member_with_points
from tests.storefront.conftest import widget_client

pytestmark = pytest.mark.django_db


def me(client) -> dict:
    response = client.get("/api/widget/v1/me")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def shopper(program):
    """A member with 500 points whose `me` answer is kept (asked once), and their widget client."""
    member = member_with_points(program, 500, customer_id="c-1")
    client = widget_client(program, "c-1")
    me(client)
    assert MeAnswer.objects.filter(member=member).exists()
    return member, client


def test_an_order_shows(program, shopper):
    # given
    _member, client = shopper

    # when
    order_record(program=program, order_id="o-1", customer_id="c-1", subtotal=Decimal("80"), currency=program.currency)

    # then
    body = me(client)
    assert len(body["transactions"]) == 2
    assert body["member"]["points_balance"] + body["member"]["pending_points"] > 500


def test_a_refund_shows(program, shopper):
    # given
    _member, client = shopper
    order_record(program=program, order_id="o-1", customer_id="c-1", subtotal=Decimal("80"), currency=program.currency)
    before = me(client)

    # when
    refund_record(program=program, order_id="o-1", refund_id="r-1", amount=Decimal("80"))

    # then
    assert len(me(client)["transactions"]) == len(before["transactions"]) + 1


def test_a_cancelled_redemption_shows_its_code_gone_its_points_and_its_stock_back(
    program, shopper, django_capture_on_commit_callbacks
):
    # given: the member and another shopper, who sees the last unit taken
    member, client = shopper
    member_with_points(program, 500, customer_id="c-2")
    other = widget_client(program, "c-2")
    reward = RewardFactory(program=program, points_cost=100, stock=1)
    with django_capture_on_commit_callbacks(execute=True):
        redemption, _ = reward_redeem(member=member, reward=reward)
    assert len(me(client)["vouchers"]) == 1
    assert me(other)["rewards"][0]["blocked_by"] == "out_of_stock"

    # when
    with django_capture_on_commit_callbacks(execute=True):
        redemption_cancel(redemption=redemption, reason="changed mind")

    # then
    body = me(client)
    assert (body["vouchers"], body["member"]["points_balance"]) == ([], 500)
    assert me(other)["rewards"][0]["blocked_by"] is None


@pytest.mark.parametrize("source", [VoucherSource.REFERRAL, VOUCHER_SOURCE_CHALLENGE])
def test_a_code_given_without_points_shows_and_its_cancellation_too(program, shopper, source):
    # given: a referral's or a challenge's reward code (no ledger row moves the member)
    member, client = shopper

    # when
    voucher = voucher_issue(member=member, name="5 off", type="fixed_discount", value=Decimal("5"), source=source)

    # then
    assert [v["code"] for v in me(client)["vouchers"]] == [voucher.code]
    voucher_cancel(voucher=voucher, reason="fraud")
    assert me(client)["vouchers"] == []


def test_a_tier_assigned_by_hand_shows(program, shopper):
    # given
    member, client = shopper
    TierFactory(program=program, key="bronze", position=0, threshold=Decimal("0"))
    TierFactory(program=program, key="gold", position=1, threshold=Decimal("100000"))
    assert me(client)["member"]["tier"] is None

    # when
    member_tier_assign(member=member, tier_key="gold")

    # then
    assert me(client)["member"]["tier"]["key"] == "gold"


def test_the_expiry_job_shows(program):
    # given: lots that expire in a year, the answer kept
    program.expiry_policy, program.expiry_days = ExpiryPolicy.FIXED, 365
    program.save()
    member_with_points(program, 300, customer_id="c-1")
    client = widget_client(program, "c-1")
    assert me(client)["member"]["points_balance"] == 300

    # when: the job runs for a day past the lots' end (the clock of the answer has not moved)
    expire_points(timezone.now() + timedelta(days=366))

    # then
    assert me(client)["member"]["points_balance"] == 0


def test_a_profile_edit_shows(program, shopper):
    # given
    _member, client = shopper

    # when
    member_upsert(program=program, customer_id="c-1", first_name="Zoë")

    # then
    assert me(client)["member"]["first_name"] == "Zoë"


def test_a_donation_shows(program, shopper):
    # given
    member, client = shopper
    school = cause(program)

    # when
    points_donate(member=member, cause=school, points=200, idempotency_key="d-1")

    # then
    assert me(client)["member"]["points_balance"] == 300
