"""Paid membership (a club the shopper pays for, Amazon Prime style): the merchant's plans, each member's
membership and the shop's billing events that started, renewed or cancelled it."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from loyalty.models import Program, Tier
from members.models import Member
from memberships.choices import LIVE_STATUSES, MembershipEventType, MembershipStatus, PlanInterval


class MembershipPlan(models.Model):
    """What a shopper can buy. While paid, the member holds `tier` (an invite-only tier), so the tier's
    multiplier and perks apply through the ordinary tier machinery (order points, rewards' `min_tier`)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="membership_plans")
    key = models.SlugField(max_length=60, help_text="What the shop's back end sends as `plan`.")
    name = models.CharField(max_length=200)
    perks = models.TextField(blank=True, help_text="One perk per line, shown in the portal.")
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    interval = models.CharField(max_length=5, choices=PlanInterval.choices, default=PlanInterval.MONTH)
    tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, related_name="+", help_text="An invite-only tier of the program."
    )
    active = models.BooleanField(default=True, help_text="Inactive plans refuse new `membership.started` events.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["program", "price", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="%(app_label)s_%(class)s_unique_key"),
            models.CheckConstraint(condition=Q(price__gte=0), name="%(app_label)s_%(class)s_price_not_negative"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.tier_id and self.program_id and self.tier.program_id != self.program_id:
            errors["tier"] = "The tier must belong to the plan's program."
        elif self.tier_id and not self.tier.invite_only:
            errors["tier"] = "Use an invite-only tier: thresholds and the tier job must not move paying members."
        if self.program_id and self.currency and self.currency != self.program.currency:
            errors["currency"] = f"The program counts in {self.program.currency}."
        if self.price is not None and self.price < Decimal("0"):
            errors["price"] = "The price cannot be negative."
        if errors:
            raise ValidationError(errors)

    @property
    def perk_lines(self) -> list[str]:
        return [line.strip() for line in self.perks.splitlines() if line.strip()]


class Membership(models.Model):
    """One member's paid membership. At most one is live (active, or cancelled but paid) per member;
    a member who comes back after it lapsed gets a new row, so the history stays."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships")
    plan = models.ForeignKey(MembershipPlan, on_delete=models.PROTECT, related_name="memberships")
    status = models.CharField(max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE)
    started_at = models.DateTimeField(default=timezone.now)
    paid_until = models.DateTimeField(help_text="The tier is kept until then; the lapse job ends it after.")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    lapsed_at = models.DateTimeField(null=True, blank=True)
    previous_tier = models.ForeignKey(
        Tier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", help_text="Held before it started."
    )
    previous_tier_locked = models.BooleanField(
        default=False, help_text="The previous tier was set by hand: it comes back when the membership lapses."
    )
    external_id = models.CharField(max_length=255, blank=True, help_text="The shop's subscription id.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status__in=LIVE_STATUSES),
                name="%(app_label)s_%(class)s_one_live_per_member",
            ),
        ]
        indexes = [
            # The lapse job: live memberships by end of the paid period.
            models.Index(
                fields=["paid_until", "id"], condition=Q(status__in=LIVE_STATUSES), name="memberships_live_due"
            ),
        ]

    def __str__(self):
        return f"{self.plan} for {self.member_id} ({self.status})"


class MembershipEvent(models.Model):
    """One billing event from the shop's back end, kept once per `event_id` (the idempotency record):
    a replay answers with the first result, the same id with another body is a conflict."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=30, choices=MembershipEventType.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    paid_until = models.DateTimeField(help_text="The membership's paid_until after this event.")
    request_fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "event_id"], name="%(app_label)s_%(class)s_unique_event_id"),
        ]

    def __str__(self):
        return f"{self.type} {self.event_id}"
