"""The demo's members and their history, played through the same services the API calls (sign-ups with a
referral, orders, a refund, events, an adjustment, a redemption, an invitation to the invite-only tier), so
the portal, the widget and the admin have something to show and every balance agrees with the ledger."""

import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from challenges.demo import challenge_demo_create, leaderboard_demo_opt_in
from donations.demo import donation_demo_create
from loyalty.models import Program
from members.models import Member
from members.services.adjustments import points_adjust
from members.services.events import event_record
from members.services.tiers import member_tier_assign
from memberships.demo import membership_demo_create
from referrals.services.flows import member_join, order_paid, order_refunded
from rewards.models import Reward
from rewards.services.redemptions import reward_redeem

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoMember:
    customer_id: str
    email: str
    first_name: str
    last_name: str
    birthday: date | None
    joined_days_ago: int
    # (days ago, subtotal) of each paid order, oldest first.
    orders: list[tuple[int, str]] = field(default_factory=list)
    # (days ago, event type) of each custom event.
    events: list[tuple[int, str]] = field(default_factory=list)
    referred_by: str = ""


DEMO_MEMBERS = [
    DemoMember(
        "cust-1001",
        "emma.johnson@example.com",
        "Emma",
        "Johnson",
        date(1990, 3, 14),
        joined_days_ago=240,
        orders=[
            (236, "42.50"),
            (201, "18.75"),
            (170, "64.00"),
            (133, "27.40"),
            (97, "71.20"),
            (60, "33.10"),
            (12, "45.90"),
        ],
        events=[(230, "social_follow"), (150, "review_posted"), (140, "review_posted"), (20, "newsletter_subscribed")],
    ),
    DemoMember(
        "cust-1002",
        "omar.haddad@example.com",
        "عمر",
        "حداد",
        date(1987, 11, 2),
        joined_days_ago=150,
        orders=[(149, "22.00"), (88, "38.60"), (31, "61.25")],
        events=[(90, "review_posted")],
    ),
    DemoMember(
        "cust-1003",
        "sara.ahmadi@example.com",
        "سارا",
        "احمدی",
        date(1995, 6, 21),
        joined_days_ago=95,
        orders=[(94, "16.80"), (40, "29.90")],
        events=[(93, "social_follow"), (41, "newsletter_subscribed")],
    ),
    DemoMember(
        "cust-1004",
        "liam.obrien@example.com",
        "Liam",
        "O'Brien",
        None,
        joined_days_ago=60,
        orders=[(58, "84.00"), (21, "19.50")],
    ),
    DemoMember(
        "cust-1005",
        "mia.chen@example.com",
        "Mia",
        "Chen",
        date(1999, 1, 9),
        joined_days_ago=14,
        orders=[(13, "24.60")],
        referred_by="cust-1001",
    ),
    DemoMember("cust-1006", "noah.williams@example.com", "Noah", "Williams", None, joined_days_ago=2),
]


def demo_history_create(*, program: Program, now: datetime | None = None) -> list[Member]:
    """Create the demo members with their history. Call inside the transaction that created the program."""
    now = now or timezone.now()
    members: dict[str, Member] = {}
    challenge_demo_create(program=program, now=now)
    for demo in DEMO_MEMBERS:
        members[demo.customer_id] = _member_play(program=program, demo=demo, members=members, now=now)
    # Liam returned part of his first, big order; Omar got a goodwill credit and an invitation to the
    # invite-only tier; Emma treated herself.
    order_refunded(program=program, order_id="demo-cust-1004-1", refund_id="demo-refund-1", amount=Decimal("30.00"))
    points_adjust(
        member=members["cust-1002"],
        points=50,
        reason="Goodwill: sorry about the cold latte",
        idempotency_key="demo-goodwill-1",
    )
    invited = program.tiers.filter(invite_only=True).order_by("position").first()
    if invited is not None:
        member_tier_assign(member=members["cust-1002"], tier_key=invited.key)
    free_drip = Reward.objects.filter(program=program, key="free-drip").first()
    if free_drip is not None:
        reward_redeem(member=members["cust-1001"], reward=free_drip, idempotency_key="demo-redemption-1")
    # Sara pays for the club; Emma gave some points to the coffee farmers.
    membership_demo_create(program=program, member=members["cust-1003"], now=now)
    donation_demo_create(program=program, member=Member.objects.get(pk=members["cust-1001"].pk))
    leaderboard_demo_opt_in(program=program, customer_ids=["cust-1001", "cust-1002", "cust-1004"])
    logger.info("demo history created program=%s members=%d", program.slug, len(members))
    return [Member.objects.get(pk=member.pk) for member in members.values()]


def _member_play(*, program: Program, demo: DemoMember, members: dict[str, Member], now: datetime) -> Member:
    referrer = members.get(demo.referred_by)
    member, _created = member_join(
        program=program,
        customer_id=demo.customer_id,
        email=demo.email,
        first_name=demo.first_name,
        last_name=demo.last_name,
        birthday=demo.birthday,
        referral_code=referrer.referral_code if referrer else None,
        at=now - timedelta(days=demo.joined_days_ago),
    )
    for number, (days_ago, subtotal) in enumerate(demo.orders, start=1):
        order_paid(
            program=program,
            order_id=f"demo-{demo.customer_id}-{number}",
            customer_id=demo.customer_id,
            subtotal=Decimal(subtotal),
            currency=program.currency,
            placed_at=now - timedelta(days=days_ago),
        )
    for number, (days_ago, event_type) in enumerate(demo.events, start=1):
        event_record(
            program=program,
            event_id=f"demo-{demo.customer_id}-event-{number}",
            customer_id=demo.customer_id,
            type=event_type,
            occurred_at=now - timedelta(days=days_ago),
        )
    return member


def widget_digest(*, program: Program, customer_id: str) -> str:
    """What a shop sends as `X-Loyalty-Digest` for this shopper (for trying the widget by hand)."""
    return hmac.new(program.digest_secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()
