import pytest

from members.models import Member, Transaction
from rewards.models import Redemption
from storefront.shoppers import customer_digest
from tests.factories import ProgramFactory, RewardFactory
from tests.factories.rewards import member_with_points
from tests.storefront.conftest import widget_client

pytestmark = pytest.mark.django_db


def test_a_signed_shopper_gets_their_own_member(program):
    # given
    member_with_points(program, 300, customer_id="c-1")

    # when
    response = widget_client(program, "c-1").get("/api/widget/v1/me")

    # then
    assert response.status_code == 200
    assert response.json()["member"]["customer_id"] == "c-1"
    assert response.json()["member"]["points_balance"] == 300


@pytest.mark.parametrize(
    "digest",
    ["0" * 64, "not-hex", "", "é" * 64],
    ids=["wrong", "not-hex", "empty", "non-ascii"],
)
def test_a_forged_digest_is_401(program, digest):
    # given
    member_with_points(program, 300, customer_id="c-1")

    # when
    response = widget_client(program, "c-1", digest=digest).get("/api/widget/v1/me")

    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_digest"


def test_a_forged_digest_redeems_nothing(program):
    # given
    member_with_points(program, 1000, customer_id="c-1")
    reward = RewardFactory(program=program, points_cost=500)
    forged = widget_client(program, "c-1", digest=customer_digest(program=ProgramFactory(), customer_id="c-1"))

    # when
    response = forged.post("/api/widget/v1/me/redemptions", {"reward_id": reward.pk}, format="json")

    # then
    assert response.status_code == 401
    assert Redemption.objects.count() == 0
    assert Member.objects.get(customer_id="c-1").points_balance == 1000
    assert Transaction.objects.count() == 1


def test_a_wrong_digest_answers_the_same_whether_the_customer_exists_or_not(program):
    # given
    member_with_points(program, 0, customer_id="exists")

    # when
    known = widget_client(program, "exists", digest="0" * 64).get("/api/widget/v1/me")
    unknown = widget_client(program, "nobody", digest="0" * 64).get("/api/widget/v1/me")

    # then
    assert known.status_code == unknown.status_code == 401
    assert known.json() == unknown.json()


def test_a_digest_of_another_program_does_not_open_this_one(program):
    # given: the same customer id in two programs
    other = ProgramFactory()
    member_with_points(program, 10, customer_id="c-1")
    member_with_points(other, 999, customer_id="c-1")

    # when
    response = widget_client(other, "c-1").get("/api/widget/v1/me")

    # then: the other program's own shopper, never this one's
    assert response.json()["member"]["points_balance"] == 999


def test_an_unknown_program_key_is_401():
    # given
    client = widget_client(ProgramFactory.build(public_key="pk_nope"))

    # when
    response = client.get("/api/widget/v1/program")

    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unknown_program"


def test_me_needs_a_shopper(program):
    # when
    response = widget_client(program).get("/api/widget/v1/me")

    # then
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "customer_required"


def test_a_customer_without_a_digest_is_401(program):
    # given
    client = widget_client(program, HTTP_X_LOYALTY_CUSTOMER="c-1")

    # when
    response = client.get("/api/widget/v1/me")

    # then
    assert response.status_code == 401


def test_a_signed_customer_who_is_not_a_member_yet_is_404(program):
    # when
    response = widget_client(program, "new-shopper").get("/api/widget/v1/me")

    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "member_not_found"


def test_a_digest_checked_before_opens_nothing_after_the_secret_changed(program):
    # given: the shopper's digest was checked (and its expected value kept by this process)
    member_with_points(program, 10, customer_id="c-1")
    old_client = widget_client(program, "c-1")
    assert old_client.get("/api/widget/v1/me").status_code == 200

    # when: the shop's secret is rotated
    program.digest_secret = "rotated-" + program.digest_secret
    program.save()
    old = old_client.get("/api/widget/v1/me")
    new = widget_client(program, "c-1").get("/api/widget/v1/me")
    upper = widget_client(program, "c-1", digest=customer_digest(program=program, customer_id="c-1").upper())

    # then: the old digest is refused, the new one (in either case) opens
    assert (old.status_code, old.json()["error"]["code"]) == (401, "invalid_digest")
    assert new.status_code == 200
    assert upper.get("/api/widget/v1/me").status_code == 200
