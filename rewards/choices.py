"""Enumerations of redemptions and vouchers."""

from django.db import models

from loyalty.choices import RewardType

# Rewards the merchant fulfils by hand (ships an item, books an experience): their redemptions carry a
# fulfilment status the merchant moves in the admin. Every other type is honoured by the shop at checkout.
FULFILLED_TYPES = (RewardType.PHYSICAL, RewardType.EXPERIENCE)


class RedemptionStatus(models.TextChoices):
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled (points returned)"


class FulfilmentStatus(models.TextChoices):
    NOT_REQUIRED = "not_required", "Not required"
    PENDING = "pending", "Pending"
    IN_PROGRESS = "in_progress", "In progress"
    SHIPPED = "shipped", "Shipped"
    FULFILLED = "fulfilled", "Fulfilled"


class VoucherStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    USED = "used", "Used"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


class VoucherSource(models.TextChoices):
    REDEMPTION = "redemption", "Redemption"
    REFERRAL = "referral", "Referral"
    CHALLENGE = "challenge", "Challenge"
