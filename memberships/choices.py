"""Enumerations of paid membership."""

from django.db import models


class PlanInterval(models.TextChoices):
    MONTH = "month", "Monthly"
    YEAR = "year", "Yearly"


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CANCELLED = "cancelled", "Cancelled (kept until paid_until)"
    LAPSED = "lapsed", "Lapsed"


# A membership holds its tier while in one of these (a cancelled one until its paid period ends).
LIVE_STATUSES = (MembershipStatus.ACTIVE, MembershipStatus.CANCELLED)


class MembershipEventType(models.TextChoices):
    STARTED = "membership.started"
    RENEWED = "membership.renewed"
    CANCELLED = "membership.cancelled"
