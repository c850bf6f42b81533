"""Enumerations of the challenges app."""

from django.db import models


class ChallengeMetric(models.TextChoices):
    ORDERS = "orders", "Paid orders (count)"
    SPEND = "spend", "Spend (order subtotals)"
    EVENT = "event", "Events of one type (count)"


class LeaderboardPeriod(models.TextChoices):
    MONTH = "month", "This month"
    QUARTER = "quarter", "This quarter"
    YEAR = "year", "This year"


# The voucher source of a challenge reward (rewards.choices.VoucherSource gains it; see briefs/requests.md).
VOUCHER_SOURCE_CHALLENGE = "challenge"
