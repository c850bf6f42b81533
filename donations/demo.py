"""The demo's causes, and one member who gave points to one."""

from donations.models import Cause
from donations.services.donate import points_donate
from loyalty.models import Program
from members.models import Member


def donation_demo_create(*, program: Program, member: Member) -> None:
    farmers = Cause.objects.create(
        program=program,
        name="Coffee farmers' fund",
        description="Fair prices and clean water for the growers of our beans.",
        goal_points=10_000,
        min_points=10,
        max_points=5_000,
    )
    Cause.objects.create(
        program=program, name="Plant a tree", description="One tree per 100 points given.", min_points=100, position=1
    )
    if member.points_balance >= 50:
        points_donate(member=member, cause=farmers, points=50, idempotency_key="demo-donation-1")
