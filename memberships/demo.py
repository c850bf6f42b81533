"""The demo's paid club: a monthly plan granting the program's invite-only tier, and one paying member."""

from datetime import datetime, timedelta
from decimal import Decimal

from loyalty.models import Program
from members.models import Member
from memberships.models import MembershipPlan
from memberships.services.billing import membership_event_record


def membership_demo_create(*, program: Program, member: Member, now: datetime) -> None:
    tier = program.tiers.filter(invite_only=True).order_by("position").first()
    if tier is None:
        return
    MembershipPlan.objects.create(
        program=program,
        key="club-monthly",
        name=f"{tier.name} Club",
        perks="Free shipping on every order\nDouble-shot upgrades\nMembers-only tastings",
        price=Decimal("4.99"),
        currency=program.currency,
        interval="month",
        tier=tier,
    )
    membership_event_record(
        program=program,
        event_id="demo-club-1",
        type="membership.started",
        customer_id=member.customer_id,
        plan="club-monthly",
        amount=Decimal("4.99"),
        currency=program.currency,
        external_id="demo-sub-1",
        occurred_at=now - timedelta(days=3),
    )
