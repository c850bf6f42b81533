"""A program running the example referral programme: give 10.00 off (min 50.00), get 500 points on a
friend's first order of 50.00 or more."""

from decimal import Decimal

import pytest

from referrals.services.flows import member_join
from tests.factories import ProgramFactory


@pytest.fixture
def program(db):
    return ProgramFactory(
        referrals_enabled=True,
        referral_qualifying_min_subtotal=Decimal("50.00"),
        referrer_reward={"type": "points", "points": 500},
        friend_reward={"type": "fixed_discount", "value": "10.00", "min_subtotal": "50.00"},
        shop_url="https://shop.example.com/",
    )


@pytest.fixture
def referrer(program):
    member, _created = member_join(
        program=program, customer_id="alice", email="alice@example.com", first_name="Alice", phone="+1 415 555 0100"
    )
    return member
