"""Reads of donations: the portal's list of causes with what they raised, the merchant's totals per cause."""

from datetime import datetime

from django.db.models import Count, Q, QuerySet, Sum

from donations.models import Cause, Donation
from loyalty.models import Program


def cause_list(*, program: Program) -> QuerySet[Cause]:
    """The program's active causes with `raised_points` (everything given so far): one query."""
    return (
        Cause.objects.filter(program=program, active=True)
        .annotate(raised_points=Sum("donations__points", default=0))
        .order_by("position", "id")
    )


def donations_in_period(
    donations: QuerySet[Donation], *, start: datetime | None = None, end: datetime | None = None
) -> QuerySet[Donation]:
    """Donations made in [start, end) (either bound optional)."""
    if start is not None:
        donations = donations.filter(created_at__gte=start)
    if end is not None:
        donations = donations.filter(created_at__lt=end)
    return donations


def cause_totals(causes: QuerySet[Cause], *, start: datetime | None = None, end: datetime | None = None):
    """Per cause, in [start, end): `points`, `value` (money), `donors` (distinct members), `donations`, and the
    part not paid out yet (`unpaid_points`, `unpaid_value`). One aggregate query."""
    in_period = Q()
    if start is not None:
        in_period &= Q(donations__created_at__gte=start)
    if end is not None:
        in_period &= Q(donations__created_at__lt=end)
    unpaid = in_period & Q(donations__payout__isnull=True)
    return causes.annotate(
        points=Sum("donations__points", filter=in_period, default=0),
        value=Sum("donations__value", filter=in_period, default=0),
        donors=Count("donations__member", filter=in_period, distinct=True),
        donations_count=Count("donations", filter=in_period),
        unpaid_points=Sum("donations__points", filter=unpaid, default=0),
        unpaid_value=Sum("donations__value", filter=unpaid, default=0),
    )
