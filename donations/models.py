"""Donating points: the causes a merchant lists, each donation (a ledger debit of kind `donate`) and the
payouts that record which donations the merchant has paid to the cause."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from loyalty.models import Program
from members.models import Member, Transaction


class Cause(models.Model):
    """A charity or project shoppers may give their points to."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="causes")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    image_url = models.URLField(max_length=500, blank=True)
    active = models.BooleanField(default=True, help_text="Inactive causes are hidden and refuse donations.")
    goal_points = models.PositiveIntegerField(null=True, blank=True, help_text="Optional: shown as a progress bar.")
    min_points = models.PositiveIntegerField(default=1, help_text="The smallest donation.")
    max_points = models.PositiveIntegerField(null=True, blank=True, help_text="The largest donation (empty: none).")
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(min_points__gte=1), name="%(app_label)s_%(class)s_min_positive"),
            models.CheckConstraint(
                condition=Q(max_points__isnull=True) | Q(max_points__gte=models.F("min_points")),
                name="%(app_label)s_%(class)s_max_not_below_min",
            ),
        ]

    def __str__(self):
        return self.name


class DonationPayout(models.Model):
    """The merchant paid a cause what its members gave in a period: the donations it covers point to it."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    cause = models.ForeignKey(Cause, on_delete=models.PROTECT, related_name="payouts")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField(help_text="Exclusive.")
    points = models.PositiveIntegerField()
    value = models.DecimalField(max_digits=14, decimal_places=2)
    donations_count = models.PositiveIntegerField()
    reference = models.CharField(max_length=200, blank=True, help_text="Bank transfer or receipt reference.")
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.cause} {self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d}"


class Donation(models.Model):
    """Points a member gave to a cause, with their money value at the program's point value at that moment.
    Written with its ledger row in one transaction; `idempotency_key` makes a double submit one donation."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="donations")
    cause = models.ForeignKey(Cause, on_delete=models.PROTECT, related_name="donations")
    points = models.PositiveIntegerField()
    value = models.DecimalField(max_digits=14, decimal_places=2, help_text="In the program's currency.")
    transaction = models.OneToOneField(Transaction, on_delete=models.PROTECT, related_name="donation")
    idempotency_key = models.CharField(max_length=300)
    payout = models.ForeignKey(
        DonationPayout, on_delete=models.SET_NULL, null=True, blank=True, related_name="donations"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "idempotency_key"], name="%(app_label)s_%(class)s_unique_idempotency_key"
            ),
            models.CheckConstraint(condition=Q(points__gt=0), name="%(app_label)s_%(class)s_points_positive"),
        ]
        indexes = [models.Index(fields=["cause", "created_at"], name="donations_cause_created")]

    def __str__(self):
        return f"{self.points} to {self.cause_id} by {self.member_id}"
