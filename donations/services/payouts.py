"""The merchant marks what a cause received in a period as paid out: the unpaid donations of the period
point to one `DonationPayout`, with an audit entry, in one transaction."""

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Sum

from donations.models import Cause, Donation, DonationPayout
from donations.selectors import donations_in_period
from loyalty.errors import ValidationFailed
from loyalty.services.audit import audit_record, model_snapshot

logger = logging.getLogger(__name__)


def donation_payout_record(
    *, cause: Cause, start: datetime, end: datetime, reference: str = "", acting_user=None
) -> DonationPayout:
    """Mark the cause's unpaid donations made in [start, end) as paid. `nothing_to_pay` when there are none
    (a second click changes nothing)."""
    if end <= start:
        raise ValidationFailed("The period must end after it starts.", code="invalid_period")
    with transaction.atomic():
        unpaid = donations_in_period(Donation.objects.filter(cause=cause, payout__isnull=True), start=start, end=end)
        ids = list(unpaid.select_for_update().order_by("pk").values_list("pk", flat=True))
        if not ids:
            raise ValidationFailed("Nothing left to pay out for this cause in this period.", code="nothing_to_pay")
        totals = Donation.objects.filter(pk__in=ids).aggregate(points=Sum("points"), value=Sum("value"), n=Count("pk"))
        payout = DonationPayout.objects.create(
            program_id=cause.program_id,
            cause=cause,
            period_start=start,
            period_end=end,
            points=totals["points"],
            value=totals["value"],
            donations_count=totals["n"],
            reference=reference[:200],
            acting_user=acting_user,
        )
        Donation.objects.filter(pk__in=ids).update(payout=payout)
        audit_record(
            merchant_id=cause.program.merchant_id,
            action="donation_payout",
            actor=acting_user,
            obj=payout,
            after=model_snapshot(payout),
            note=f"{totals['n']} donations to {cause.name} marked paid",
        )
    logger.info("donation payout cause=%s points=%s value=%s", cause.pk, payout.points, payout.value)
    return payout
