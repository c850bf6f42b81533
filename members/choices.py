"""Enumerations of what members do and of the ledger."""

from django.db import models


class TransactionKind(models.TextChoices):
    EARN = "earn", "Earned"
    REDEEM = "redeem", "Redeemed"
    REFUND = "refund", "Refunded"
    EXPIRE = "expire", "Expired"
    ADJUST = "adjust", "Adjusted"
    REFERRAL = "referral", "Referral"
    BONUS = "bonus", "Bonus"
    CHALLENGE = "challenge", "Challenge reward"
    DONATE = "donate", "Donated"


# Kinds that count as points *earned* (tier metric `points_earned`, lifetime points): earning net of refunds.
# Manual adjustments, redemptions and expiry don't count.
EARNING_KINDS = (
    TransactionKind.EARN,
    TransactionKind.BONUS,
    TransactionKind.REFERRAL,
    TransactionKind.CHALLENGE,
    TransactionKind.REFUND,
)


class TransactionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACTIVE = "active", "Active"
    VOID = "void", "Void"


class TransactionSource(models.TextChoices):
    ORDER = "order", "Order"
    EVENT = "event", "Event"
    RULE = "rule", "Rule"
    REDEMPTION = "redemption", "Redemption"
    REFERRAL = "referral", "Referral"
    ADJUSTMENT = "adjustment", "Adjustment"
    JOB = "job", "Scheduled job"
    CHALLENGE = "challenge", "Challenge"
    DONATION = "donation", "Donation"


class PointsStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PENDING = "pending", "Pending"


class TierChangeReason(models.TextChoices):
    EARNED = "earned", "Earned"
    RECALCULATED = "recalculated", "Recalculated"
    MANUAL = "manual", "Manual"
    JOINED = "joined", "Joined"
    MEMBERSHIP = "membership", "Paid membership"
