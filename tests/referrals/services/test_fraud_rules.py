"""Each fraud control, blocked and allowed; a blocked referral is kept with its reason and rewards nobody."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from members.models import Member
from referrals.choices import BlockReason, ReferralStatus
from referrals.models import Referral
from referrals.services.flows import member_join, order_paid
from referrals.services.fraud import referral_settings_get
from referrals.services.signals import Signals
from rewards.models import Voucher


def _join(program, referrer, customer_id, email, **kwargs):
    friend, _created = member_join(
        program=program, customer_id=customer_id, email=email, referral_code=referrer.referral_code, **kwargs
    )
    return Referral.objects.get(friend=friend)


def _settings(program, **changes):
    settings = referral_settings_get(program=program)
    for name, value in changes.items():
        setattr(settings, name, value)
    settings.save()


def test_settings_are_created_lazily_with_defaults(program):
    # given / when
    settings = referral_settings_get(program=program)

    # then every control is on, with a cap of 10 a month
    assert settings.block_self_referral and settings.new_customers_only
    assert settings.block_same_ip and settings.block_same_device
    assert settings.monthly_cap_per_referrer == 10


def test_referrer_using_own_code_is_blocked(program, referrer):
    # given / when the referrer signs up again with their own code
    member_join(program=program, customer_id="alice", email="alice@example.com", referral_code=referrer.referral_code)

    # then a blocked self-referral is recorded
    referral = Referral.objects.get()
    assert (referral.status, referral.block_reason) == (ReferralStatus.BLOCKED, BlockReason.SELF_REFERRAL)


@pytest.mark.parametrize(
    ("referrer_email", "friend_email", "blocked"),
    [
        ("alice@example.com", "ALICE@example.com", True),
        ("alice.smith@gmail.com", "AliceSmith+promo@googlemail.com", True),
        ("alice@example.com", "alice+shop@example.com", True),
        ("alice.smith@example.com", "alicesmith@example.com", False),
        ("alice@example.com", "bob@example.com", False),
    ],
)
def test_same_normalised_email_is_blocked(program, referrer_email, friend_email, blocked):
    # given a referrer with an email
    referrer, _ = member_join(program=program, customer_id="alice", email=referrer_email)

    # when a second account joins with a spelling of an email
    referral = _join(program, referrer, "second", friend_email)

    # then dots (Gmail) and plus-tags don't make it another person
    if blocked:
        assert (referral.status, referral.block_reason) == (ReferralStatus.BLOCKED, BlockReason.SAME_EMAIL)
        assert "is the referrer's" in referral.block_detail
    else:
        assert referral.status == ReferralStatus.JOINED


@pytest.mark.parametrize(("phone", "blocked"), [("(415) 555-0100", True), ("+1 415 555 0199", False)])
def test_same_phone_is_blocked(program, referrer, phone, blocked):
    # given a referrer with phone +1 415 555 0100
    # when a friend joins with a phone
    referral = _join(program, referrer, "bob", "bob@example.com", phone=phone)

    # then the same number in another format is blocked
    expected = (ReferralStatus.BLOCKED, BlockReason.SAME_PHONE) if blocked else (ReferralStatus.JOINED, "")
    assert (referral.status, referral.block_reason) == expected


@pytest.mark.parametrize(("address", "blocked"), [("1 main st., springfield", True), ("2 Main St, Springfield", False)])
def test_same_shipping_address_is_blocked(program, referrer, address, blocked):
    # given the referrer's order shipped to "1 Main St, Springfield"
    order_paid(
        program=program,
        order_id="R-1",
        customer_id="alice",
        subtotal=Decimal("20"),
        currency="USD",
        signals=Signals(shipping_address="1 Main St,  Springfield"),
    )

    # when a friend joins giving an address
    referral = _join(program, referrer, "bob", "bob@example.com", signals=Signals(shipping_address=address))

    # then the same address (case, punctuation, spacing aside) is blocked
    expected = (ReferralStatus.BLOCKED, BlockReason.SAME_ADDRESS) if blocked else (ReferralStatus.JOINED, "")
    assert (referral.status, referral.block_reason) == expected


def test_same_address_sent_with_the_friends_first_order_is_blocked(program, referrer):
    # given the referrer's address is known
    member_join(program=program, customer_id="alice", signals=Signals(shipping_address="1 Main St"))

    # when a new buyer's first order carries the code and ships to the same address
    result = order_paid(
        program=program,
        order_id="F-1",
        customer_id="bob",
        email="bob@example.com",
        subtotal=Decimal("60"),
        currency="USD",
        referral_code=referrer.referral_code,
        signals=Signals(shipping_address="1 main st"),
    )

    # then it is blocked and the referrer gets nothing
    referral = Referral.objects.get(friend=result.member)
    assert referral.block_reason == BlockReason.SAME_ADDRESS
    assert Member.objects.get(pk=referrer.pk).points_balance == 0


@pytest.mark.parametrize(
    ("setting", "signals", "reason"),
    [
        ("block_same_ip", Signals(ip_address="203.0.113.7"), BlockReason.SAME_IP),
        ("block_same_device", Signals(device_fingerprint="fp-123"), BlockReason.SAME_DEVICE),
    ],
)
def test_same_ip_or_device_is_blocked_unless_switched_off(program, setting, signals, reason):
    # given a referrer seen on an IP and a device
    referrer, _ = member_join(
        program=program,
        customer_id="alice",
        email="alice@example.com",
        signals=Signals(ip_address="203.0.113.7", device_fingerprint="fp-123"),
    )

    # when a friend arrives from the same one
    blocked = _join(program, referrer, "bob", "bob@example.com", signals=signals)
    _settings(program, **{setting: False})
    allowed = _join(program, referrer, "carol", "carol@example.com", signals=signals)

    # then it is blocked while the control is on, allowed once it is off
    assert (blocked.status, blocked.block_reason) == (ReferralStatus.BLOCKED, reason)
    assert allowed.status == ReferralStatus.JOINED


def test_different_ip_and_device_are_allowed(program):
    # given a referrer seen on one IP and device
    referrer, _ = member_join(
        program=program, customer_id="alice", signals=Signals(ip_address="203.0.113.7", device_fingerprint="fp-1")
    )

    # when a friend arrives from others
    referral = _join(
        program, referrer, "bob", "bob@example.com", signals=Signals(ip_address="198.51.100.1", device_fingerprint="x")
    )

    # then the referral stands
    assert referral.status == ReferralStatus.JOINED


def test_monthly_cap_per_referrer(program, referrer):
    # given a cap of 2 referrals a month
    _settings(program, monthly_cap_per_referrer=2)
    november = datetime(2026, 11, 10, tzinfo=UTC)

    # when four friends join in November and one in December
    statuses = [_join(program, referrer, f"f{i}", f"f{i}@example.com", at=november).status for i in range(4)]
    december = _join(program, referrer, "f9", "f9@example.com", at=datetime(2026, 12, 1, tzinfo=UTC))

    # then the third and fourth are blocked (blocked ones do not count), December starts afresh
    assert statuses == [ReferralStatus.JOINED, ReferralStatus.JOINED, ReferralStatus.BLOCKED, ReferralStatus.BLOCKED]
    assert set(Referral.objects.filter(status=ReferralStatus.BLOCKED).values_list("block_reason", flat=True)) == {
        BlockReason.MONTHLY_CAP
    }
    assert december.status == ReferralStatus.JOINED


def test_no_cap_when_cleared(program, referrer):
    # given no cap
    _settings(program, monthly_cap_per_referrer=None)

    # when twelve friends join
    statuses = {_join(program, referrer, f"f{i}", f"f{i}@example.com").status for i in range(12)}

    # then all stand
    assert statuses == {ReferralStatus.JOINED}


def test_friend_who_already_ordered_is_not_new(program, referrer):
    # given a member who already ordered
    order_paid(
        program=program,
        order_id="OLD",
        customer_id="bob",
        email="bob@example.com",
        subtotal=Decimal("30"),
        currency="USD",
    )

    # when they later send the referral code (a second order carrying it)
    order_paid(
        program=program,
        order_id="NEW",
        customer_id="bob",
        subtotal=Decimal("60"),
        currency="USD",
        referral_code=referrer.referral_code,
    )

    # then the referral is blocked as an existing customer and nobody is rewarded
    referral = Referral.objects.get()
    assert referral.block_reason == BlockReason.EXISTING_CUSTOMER
    assert Member.objects.get(pk=referrer.pk).points_balance == 0
    assert not Voucher.objects.exists()


def test_existing_customer_allowed_when_control_is_off(program, referrer):
    # given the new-customer-only control off, and a member who ordered before
    _settings(program, new_customers_only=False)
    order_paid(
        program=program,
        order_id="OLD",
        customer_id="bob",
        email="bob@example.com",
        subtotal=Decimal("30"),
        currency="USD",
    )

    # when they join with the code
    member_join(program=program, customer_id="bob", referral_code=referrer.referral_code)

    # then the referral stands
    assert Referral.objects.get().status == ReferralStatus.JOINED


def test_self_referral_allowed_when_control_is_off(program, referrer):
    # given the self-referral control off
    _settings(program, block_self_referral=False)

    # when a second account with the referrer's email joins
    referral = _join(program, referrer, "alice-2", "alice@example.com")

    # then it stands
    assert referral.status == ReferralStatus.JOINED


def test_blocked_referral_rewards_nobody(program, referrer, assert_ledger_clean):
    # given a blocked self-referral by email
    friend, _ = member_join(
        program=program, customer_id="alice-2", email="alice@example.com", referral_code=referrer.referral_code
    )

    # when the second account places a qualifying order
    order_paid(program=program, order_id="1", customer_id="alice-2", subtotal=Decimal("100"), currency="USD")

    # then no voucher and no points were given, and the referral stays blocked
    assert not Voucher.objects.exists()
    assert Member.objects.get(pk=referrer.pk).points_balance == 0
    assert Member.objects.get(pk=friend.pk).referred_by_id is None
    assert Referral.objects.get().status == ReferralStatus.BLOCKED
    assert_ledger_clean()


def test_blocking_is_logged_with_the_reason(program, referrer, caplog):
    # given / when a blocked self-referral
    with caplog.at_level("INFO", logger="referrals"):
        _join(program, referrer, "alice-2", "alice@example.com")

    # then the log line names the reason
    assert any("referral blocked" in r.message and "block_reason=same_email" in r.message for r in caplog.records)
