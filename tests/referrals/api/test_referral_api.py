"""The referral flow through the server API: members upsert and orders carry `referral_code`."""

from members.models import Member
from referrals.choices import BlockReason, ReferralStatus
from referrals.models import Referral
from tests.conftest import client_for


def test_flow_through_the_api(program, referrer, assert_ledger_clean):
    # given the program's API
    api = client_for(program)

    # when a friend signs up with the code, then orders 60.00, and the order is retried
    joined = api.post(
        "/api/v1/members",
        {"customer_id": "bob", "email": "bob@example.com", "referral_code": referrer.referral_code},
        format="json",
    )
    order = {"order_id": "9", "customer_id": "bob", "subtotal": "60.00", "currency": "USD"}
    first = api.post("/api/v1/orders", order, format="json")
    again = api.post("/api/v1/orders", order, format="json")

    # then the friend has a voucher, the referrer 500 points, once
    assert joined.status_code == 201
    assert joined.json()["referral_url"].endswith(f"/r/{joined.json()['referral_code']}")
    assert (first.status_code, again.status_code) == (201, 200)
    assert Referral.objects.get().status == ReferralStatus.CONVERTED
    assert Member.objects.get(pk=referrer.pk).points_balance == 500
    assert_ledger_clean()


def test_signals_sent_by_the_storefront_feed_the_fraud_checks(program):
    # given a referrer who signed up from an IP
    api = client_for(program)
    alice = api.post(
        "/api/v1/members",
        {"customer_id": "alice", "email": "a@example.com", "ip_address": "203.0.113.9"},
        format="json",
    ).json()

    # when a friend signs up from the same IP
    api.post(
        "/api/v1/members",
        {
            "customer_id": "bob",
            "email": "b@example.com",
            "referral_code": alice["referral_code"],
            "ip_address": "203.0.113.9",
        },
        format="json",
    )

    # then the referral is blocked for the same IP
    assert Referral.objects.get().block_reason == BlockReason.SAME_IP


def test_bad_signal_is_400_and_writes_nothing(program):
    # given / when
    response = client_for(program).post(
        "/api/v1/members", {"customer_id": "bob", "email": "b@example.com", "ip_address": "not-an-ip"}, format="json"
    )

    # then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert not Member.objects.filter(customer_id="bob").exists()
