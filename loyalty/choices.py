"""Enumerations of the program configuration (the program file's vocabulary)."""

from django.db import models


class RuleType(models.TextChoices):
    SIGNUP = "signup", "Sign-up"
    BIRTHDAY = "birthday", "Birthday"
    CUSTOM_EVENT = "custom_event", "Custom event"
    ORDER_THRESHOLD = "order_threshold", "Order threshold"
    BONUS_MULTIPLIER = "bonus_multiplier", "Bonus multiplier"


class LimitPeriod(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    YEAR = "year", "Year"
    LIFETIME = "lifetime", "Lifetime"


class TierMetric(models.TextChoices):
    POINTS_EARNED = "points_earned", "Points earned"
    SPEND = "spend", "Spend"
    ORDERS = "orders", "Orders"


class TierPeriod(models.TextChoices):
    LIFETIME = "lifetime", "Lifetime"
    CALENDAR_YEAR = "calendar_year", "Calendar year"
    ROLLING_12_MONTHS = "rolling_12_months", "Rolling 12 months"


class ExpiryPolicy(models.TextChoices):
    NEVER = "never", "Never"
    FIXED = "fixed", "Fixed: each lot expires N days after it was earned"
    INACTIVITY = "inactivity", "Inactivity: whole balance expires after N days without activity"


class RewardType(models.TextChoices):
    FIXED_DISCOUNT = "fixed_discount", "Fixed discount"
    PERCENT_DISCOUNT = "percent_discount", "Percent discount"
    FREE_SHIPPING = "free_shipping", "Free shipping"
    FREE_PRODUCT = "free_product", "Free product"
    GIFT_CARD = "gift_card", "Gift card"
    STORE_CREDIT = "store_credit", "Store credit"
    PHYSICAL = "physical", "Physical item"
    EXPERIENCE = "experience", "Experience"


class StaffRole(models.TextChoices):
    """What a merchant's staff member may do in the admin (each role is a permission group)."""

    OWNER = "owner", "Owner: everything for the merchant, including API keys and secrets"
    MANAGER = "manager", "Manager: program configuration and member service"
    SUPPORT = "support", "Support: view members and their ledger, adjust points"


class SegmentMatch(models.TextChoices):
    ALL = "all", "All conditions"
    ANY = "any", "Any condition"
