"""A program as a shopper meets it in the portal (tiers, ways to earn, rewards) and its members, with points
and history written through the real services."""

import itertools
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from loyalty.choices import ExpiryPolicy, RuleType, TierPeriod
from members.models import Member
from members.portal.access import portal_sign_in
from members.services.adjustments import points_adjust
from members.services.members import member_upsert
from members.services.orders import order_record
from tests.factories import EarningRuleFactory, ProgramFactory, RewardFactory, TierFactory

_ids = itertools.count(1)


def portal_program(**overrides):
    """Stars, three tiers by points earned in the calendar year, fixed expiry, referrals, three rewards."""
    fields = {
        "points_name_singular": "Star",
        "points_name_plural": "Stars",
        "tier_period": TierPeriod.CALENDAR_YEAR,
        "expiry_policy": ExpiryPolicy.FIXED,
        "expiry_days": 365,
        "referrals_enabled": True,
        "shop_url": "https://shop.example.com/",
        "terms_url": "https://shop.example.com/terms",
        **overrides,
    }
    program = ProgramFactory(**fields)
    TierFactory(
        program=program, key="bronze", name="Bronze", position=0, threshold=Decimal("0"), perks=["Birthday gift"]
    )
    TierFactory(
        program=program, key="silver", name="Silver", position=1, threshold=Decimal("500"), perks=["Free shipping"]
    )
    gold = TierFactory(program=program, key="gold", name="Gold", position=2, threshold=Decimal("2000"), multiplier=2)
    EarningRuleFactory(program=program, type=RuleType.SIGNUP, key="signup", name="Welcome", points=50)
    EarningRuleFactory(program=program, type=RuleType.BIRTHDAY, key="birthday", name="Birthday", points=200)
    RewardFactory(program=program, key="five-off", name="$5 off", points_cost=100)
    RewardFactory(program=program, key="twenty-off", name="$20 off", points_cost=5000, value=Decimal("20.00"))
    RewardFactory(program=program, key="gold-gift", name="Gold gift", points_cost=10, min_tier=gold)
    return program


def portal_member(program, *, email: str | None = None, orders: int = 0, subtotal: str = "49.00") -> Member:
    """A member (sign-up rule fired) with `orders` paid orders of `subtotal`, all through the real services."""
    customer_id = f"cust-{next(_ids)}"
    member, _ = member_upsert(
        program=program, customer_id=customer_id, email=email or f"{customer_id}@example.com", first_name="Dana"
    )
    start = timezone.now() - timedelta(days=1)
    for number in range(orders):
        order_record(
            program=program,
            order_id=f"{customer_id}-{1000 + number}",
            customer_id=customer_id,
            subtotal=Decimal(subtotal),
            currency=program.currency,
            placed_at=start + timedelta(seconds=number),
        )
    return Member.objects.select_related("program", "tier").get(pk=member.pk)


def member_credit(member: Member, points: int) -> None:
    points_adjust(member=member, points=points, reason="test set-up")


def signed_in(client, member: Member):
    """Sign `member` in on a Django test client the way the portal does."""
    from django.http import HttpRequest

    request = HttpRequest()
    request.session = client.session
    portal_sign_in(request, member)
    request.session.save()
    client.cookies["sessionid"] = request.session.session_key
    return client
