from decimal import Decimal

import pytest

from referrals.services.flows import member_join, order_paid
from tests.conftest import client_for
from tests.factories import ProgramFactory


@pytest.fixture
def referred(program, referrer):
    for n in range(3):
        member_join(
            program=program, customer_id=f"f{n}", email=f"f{n}@example.com", referral_code=referrer.referral_code
        )
    order_paid(program=program, order_id="1", customer_id="f0", subtotal=Decimal("70"), currency="USD")
    member_join(program=program, customer_id="alice-2", email="alice@example.com", referral_code=referrer.referral_code)


def test_member_referrals(program, referrer, referred, django_assert_num_queries):
    # given a referrer with three friends (one converted) and a blocked attempt
    api = client_for(program)

    # when the merchant reads the member's referrals (key, member, two stats, one page)
    with django_assert_num_queries(5):
        response = api.get("/api/v1/members/alice/referrals")

    # then the link, the stats and the rows are there, newest first, the blocked one with its reason
    body = response.json()
    assert response.status_code == 200
    assert body["referral_url"].endswith(f"/r/{referrer.referral_code}")
    assert body["stats"]["invites_claimed"] == 3
    assert body["stats"]["friends_converted"] == 1
    assert body["stats"]["revenue"] == "70.00"
    assert body["stats"]["referrer_points_granted"] == 500
    assert [r["status"] for r in body["referrals"]] == ["blocked", "joined", "joined", "converted"]
    assert body["referrals"][0]["block_reason"] == "same_email"
    assert body["referrals"][-1]["qualifying_order_id"] == "1"


def test_program_stats(program, referrer, referred, django_assert_num_queries):
    # given / when
    api = client_for(program)
    with django_assert_num_queries(3):
        body = api.get("/api/v1/referrals/stats").json()

    # then
    assert (body["invites_claimed"], body["friends_converted"], body["blocked"]) == (3, 1, 1)


def test_another_programs_member_is_404_and_stats_are_empty(program, referrer, referred):
    # given another program's key
    other = client_for(ProgramFactory())

    # when / then
    assert other.get("/api/v1/members/alice/referrals").status_code == 404
    assert other.get("/api/v1/referrals/stats").json()["invites_claimed"] == 0
