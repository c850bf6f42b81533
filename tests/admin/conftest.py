"""Merchants with staff of every role, and a shop's worth of rows built through the real services."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from loyalty.choices import RuleType, StaffRole
from loyalty.services.api_keys import api_key_issue
from loyalty.services.staff import merchant_staff_add
from members.services.adjustments import points_adjust
from referrals.services.fraud import referral_settings_get
from referrals.services.referrals import referral_claim
from rewards.services.redemptions import reward_redeem
from tests.factories import EarningRuleFactory, MerchantFactory, ProgramFactory, RewardFactory, TierFactory


def staff_user(merchant, role=StaffRole.OWNER, username=None):
    user = get_user_model().objects.create_user(username=username or f"{role}-{merchant.pk}", password="pw")
    merchant_staff_add(user=user, merchant=merchant, role=role)
    return user


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def member_of(program, customer_id="c-1", **fields):
    from members.models import Member

    defaults = {"email": f"{customer_id}@example.com", "first_name": "Ada", "last_name": "Lovelace"}
    return Member.objects.create(
        program=program,
        customer_id=customer_id,
        referral_code=f"R{program.pk}X{customer_id}".upper()[:16],
        **{**defaults, **fields},
    )


def shop(name: str):
    """A merchant with one program holding one row of every configurable and recorded kind."""
    from members.choices import TierChangeReason
    from members.models import Order, TierChange

    merchant = MerchantFactory(name=name)
    staff_user(merchant, username=f"{name.lower()}-owner")
    program = ProgramFactory(
        merchant=merchant,
        name=f"{name} Rewards",
        slug=f"{name.lower()}-rewards",
        referrals_enabled=True,
        referrer_reward={"type": "points", "points": 100},
        friend_reward={"type": "fixed_discount", "value": "5.00"},
    )
    tier = TierFactory(program=program, key=f"{name.lower()}-gold", name=f"{name} Gold", threshold=Decimal("0"))
    EarningRuleFactory(program=program, key=f"{name.lower()}-signup", type=RuleType.SIGNUP)
    RewardFactory(program=program, key=f"{name.lower()}-five", name=f"{name} Five off")
    api_key_issue(program=program, name=f"{name.lower()}-key")
    member = member_of(program, customer_id=f"{name.lower()}-cust", email=f"{name.lower()}@example.com")
    points_adjust(member=member, points=100, reason=f"{name} welcome")
    Order.objects.create(
        program=program,
        member=member,
        order_id=f"{name.lower()}-order",
        subtotal=Decimal("10"),
        currency="USD",
        placed_at=timezone.now(),
    )
    TierChange.objects.create(member=member, from_tier=None, to_tier=tier, reason=TierChangeReason.JOINED)
    return merchant, program, member


def add_records(program, member, name: str) -> None:
    """A redemption (with its code), referral settings and a referral claim: rows the services write."""
    reward_redeem(member=member, reward=RewardFactory(program=program, key=f"{name}-mug", points_cost=10))
    referral_settings_get(program=program)
    referral_claim(referrer=member, email=f"{name}-friend@example.com")


@pytest.fixture
def shop_a(db):
    return shop("Alpha")


@pytest.fixture
def shop_a_with_records(shop_a):
    _merchant, program, member = shop_a
    add_records(program, member, "alpha")
    return shop_a


@pytest.fixture
def shop_b(db):
    return shop("Beta")
