"""The demo's challenges, milestone and leaderboard: created before the demo members play (so their orders
and reviews count), and a few members who chose to appear on the leaderboard."""

from datetime import datetime, timedelta
from decimal import Decimal

from challenges.choices import ChallengeMetric, LeaderboardPeriod
from challenges.models import Challenge, Leaderboard
from loyalty.models import Program
from members.models import Member

_MONTH_DAYS = 30


def challenge_demo_create(*, program: Program, now: datetime) -> None:
    start = now - timedelta(days=_MONTH_DAYS)
    Challenge.objects.create(
        program=program,
        key="five-orders",
        name="5th order",
        description="Your fifth order earns a bonus.",
        translations={"ar": {"name": "الطلب الخامس"}, "fa": {"name": "سفارش پنجم"}},
        metric=ChallengeMetric.ORDERS,
        target=Decimal("5"),
        reward_points=250,
        position=0,
    )
    Challenge.objects.create(
        program=program,
        key="spend-100-this-month",
        name="Spend 100 this month",
        translations={"ar": {"name": "أنفق 100 هذا الشهر"}, "fa": {"name": "این ماه ۱۰۰ خرج کنید"}},
        metric=ChallengeMetric.SPEND,
        target=Decimal("100"),
        starts_at=start,
        ends_at=now + timedelta(days=_MONTH_DAYS),
        reward_points=150,
        position=1,
    )
    Challenge.objects.create(
        program=program,
        key="two-reviews",
        name="Review 2 products",
        description="Tell other shoppers what you think.",
        translations={"ar": {"name": "قيّم منتجين"}, "fa": {"name": "دو محصول را نقد کنید"}},
        metric=ChallengeMetric.EVENT,
        event_type="review_posted",
        target=Decimal("2"),
        reward_points=100,
        position=2,
    )
    Leaderboard.objects.create(program=program, enabled=True, period=LeaderboardPeriod.YEAR, size=10)


def leaderboard_demo_opt_in(*, program: Program, customer_ids: list[str]) -> None:
    Member.objects.filter(program=program, customer_id__in=customer_ids).update(leaderboard_opt_in=True)
