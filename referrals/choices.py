"""Enumerations of the referral lifecycle and of the fraud checks."""

from django.db import models


class ReferralStatus(models.TextChoices):
    CLAIMED = "claimed", "Claimed (friend not a member yet)"
    JOINED = "joined", "Joined (waiting for a qualifying order)"
    CONVERTED = "converted", "Converted (referrer rewarded)"
    CANCELLED = "cancelled", "Cancelled (qualifying order refunded)"
    BLOCKED = "blocked", "Blocked"


class BlockReason(models.TextChoices):
    SELF_REFERRAL = "self_referral", "Self-referral: same customer"
    SAME_EMAIL = "same_email", "Self-referral: same email"
    SAME_PHONE = "same_phone", "Self-referral: same phone"
    SAME_ADDRESS = "same_address", "Self-referral: same shipping address"
    SAME_IP = "same_ip", "Same IP address as the referrer"
    SAME_DEVICE = "same_device", "Same device as the referrer"
    MONTHLY_CAP = "monthly_cap", "Referrer reached the monthly cap"
    EXISTING_CUSTOMER = "existing_customer", "Friend had already ordered"


class SignalKind(models.TextChoices):
    """What the storefront told us about a member, kept to recognise the same person behind two accounts."""

    IP = "ip", "IP address"
    DEVICE = "device", "Device fingerprint"
    ADDRESS = "address", "Shipping address"
