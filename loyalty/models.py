"""Tenants and everything a merchant configures: programs, API keys, earning rules and tier definitions."""

import hashlib
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from loyalty.choices import ExpiryPolicy, LimitPeriod, RuleType, SegmentMatch, StaffRole, TierMetric, TierPeriod
from loyalty.segment_conditions import ConditionError, conditions_validate


class Merchant(models.Model):
    """A shop (the tenant). Staff users and programs belong to exactly one merchant."""

    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name


def _new_public_key() -> str:
    return "pk_" + secrets.token_urlsafe(18)


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


class Program(models.Model):
    """One loyalty program: everything in a program file except the reward catalog (see rewards.Reward)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="programs")
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3)
    locale = models.CharField(max_length=10, default="en")
    timezone = models.CharField(max_length=64, default="UTC")
    points_name_singular = models.CharField(max_length=40, default="Point")
    points_name_plural = models.CharField(max_length=40, default="Points")
    primary_color = models.CharField(max_length=7, default="#0a7d5a")
    accent_color = models.CharField(max_length=7, default="#f5b700")
    logo_url = models.URLField(max_length=500, blank=True, null=True)
    terms_url = models.URLField(max_length=500, blank=True, null=True)
    shop_url = models.URLField(max_length=500, blank=True, null=True)

    points_per_currency_unit = models.DecimalField(
        max_digits=12, decimal_places=4, default=Decimal("1"), validators=[MinValueValidator(Decimal("0"))]
    )
    pending_days = models.PositiveIntegerField(default=0)
    point_value = models.DecimalField(
        max_digits=12,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="What one point is worth in the program's currency (the liability on the dashboard). "
        "Empty: taken from the cheapest fixed-discount reward (value / points cost).",
    )

    tier_metric = models.CharField(max_length=20, choices=TierMetric.choices, default=TierMetric.POINTS_EARNED)
    tier_period = models.CharField(max_length=20, choices=TierPeriod.choices, default=TierPeriod.LIFETIME)

    expiry_policy = models.CharField(max_length=20, choices=ExpiryPolicy.choices, default=ExpiryPolicy.NEVER)
    expiry_days = models.PositiveIntegerField(null=True, blank=True)
    expiry_warn_days_before = models.PositiveIntegerField(null=True, blank=True)

    referrals_enabled = models.BooleanField(default=False)
    referral_qualifying_min_subtotal = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    referrer_reward = models.JSONField(default=dict, blank=True)
    friend_reward = models.JSONField(default=dict, blank=True)

    # Credentials of the storefront channels. The HMAC secrets must be usable to compute digests,
    # so they are kept as issued; the server API key is only ever verified, so it is stored hashed.
    public_key = models.CharField(max_length=40, unique=True, default=_new_public_key)
    digest_secret = models.CharField(max_length=64, default=_new_secret)
    webhook_secret = models.CharField(max_length=64, default=_new_secret)
    allowed_origins = models.JSONField(default=list, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(points_per_currency_unit__gte=0), name="%(app_label)s_%(class)s_rate_not_negative"
            ),
        ]

    def __str__(self):
        return self.name

    def points_label(self, points: int) -> str:
        return self.points_name_singular if abs(points) == 1 else self.points_name_plural


def hash_api_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKey(models.Model):
    """A server API key. Only its SHA-256 is stored; the raw key is shown once when it is created."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=16, help_text="First characters of the key, to tell keys apart.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.prefix}… ({self.name})"


class EarningRule(models.Model):
    """A way to earn: sign-up, birthday, custom event, order threshold or a bonus multiplier campaign."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="earning_rules")
    key = models.SlugField(max_length=60)
    type = models.CharField(max_length=20, choices=RuleType.choices)
    name = models.CharField(max_length=200, blank=True)
    points = models.PositiveIntegerField(default=0)
    event = models.CharField(max_length=100, blank=True, help_text="Event type for custom_event rules.")
    limit_count = models.PositiveIntegerField(null=True, blank=True)
    limit_period = models.CharField(max_length=10, choices=LimitPeriod.choices, blank=True)
    min_subtotal = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    multiplier = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    # Limited to the members of a segment (None: everyone). RESTRICT: deleting the segment must not silently
    # open the rule to every member (deleting the whole program still deletes both).
    segment = models.ForeignKey(
        "Segment", on_delete=models.RESTRICT, null=True, blank=True, related_name="earning_rules"
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="%(app_label)s_%(class)s_unique_key"),
        ]
        indexes = [models.Index(fields=["program", "type"], name="loyalty_rule_program_type")]

    def __str__(self):
        return f"{self.key} ({self.get_type_display()})"

    def clean(self):
        super().clean()
        if self.segment_id is not None and self.segment.program_id != self.program_id:
            raise ValidationError({"segment": "Choose a segment of the rule's own program."})

    def is_live(self, at) -> bool:
        """Whether the rule applies at `at` (its window is half-open: starts_at ≤ at < ends_at)."""
        if not self.active:
            return False
        if self.starts_at and at < self.starts_at:
            return False
        return not (self.ends_at and at >= self.ends_at)


class Tier(models.Model):
    """A VIP tier. Reached when the program's tier metric in its period meets `threshold`,
    unless `invite_only`, in which case it is only ever assigned by hand."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="tiers")
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0, help_text="Rank: higher is better.")
    threshold = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    invite_only = models.BooleanField(default=False)
    multiplier = models.DecimalField(max_digits=8, decimal_places=4, default=Decimal("1"))
    perks = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="%(app_label)s_%(class)s_unique_key"),
            models.CheckConstraint(
                condition=Q(invite_only=True) | Q(threshold__isnull=False),
                name="%(app_label)s_%(class)s_threshold_unless_invite_only",
            ),
        ]

    def __str__(self):
        return self.name


class Segment(models.Model):
    """A merchant-defined group of members: conditions over their data (tier, spend, orders, attributes, RFM…)
    matched all or any. `members.segments` compiles it to one SQL queryset; the vocabulary and its validation
    are in `loyalty.segment_conditions`."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="segments")
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    match = models.CharField(max_length=3, choices=SegmentMatch.choices, default=SegmentMatch.ALL)
    conditions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="%(app_label)s_%(class)s_unique_key"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.program_id is None:
            return
        tier_keys = set(Tier.objects.filter(program_id=self.program_id).values_list("key", flat=True))
        try:
            self.conditions = conditions_validate(self.conditions, tier_keys=tier_keys)
        except ConditionError as exc:
            raise ValidationError({"conditions": exc.problems}) from None


class MerchantMembership(models.Model):
    """Makes a staff user one merchant's staff. The admin shows such a user only that merchant's rows;
    the role decides, through the permission group of the same name, what they may do."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="merchant_membership")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="staff")
    role = models.CharField(max_length=10, choices=StaffRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = [
            ("adjust_points", "Can adjust members' points"),
            ("assign_tier", "Can assign or remove an invite-only tier"),
            ("service_vouchers", "Can resend or cancel vouchers and mark fulfilment"),
            ("manage_credentials", "Can issue/revoke API keys and rotate secrets"),
            ("import_members", "Can import members with balances and tiers from CSV"),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()} at {self.merchant})"


from loyalty.audit_models import AuditEntry  # noqa: E402, F401
