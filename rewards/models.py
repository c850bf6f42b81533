"""The rewards catalog: what members can spend points on."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from loyalty.choices import RewardType
from loyalty.models import Program, Segment, Tier
from members.models import Member
from rewards.choices import FulfilmentStatus, RedemptionStatus, VoucherSource, VoucherStatus

# As the program file allows; past it a code's expiry date could overflow.
MAX_CODE_EXPIRY_DAYS = 3650


class Reward(models.Model):
    """A catalog entry. `value` is money for fixed discounts, gift cards and store credit, a percentage
    for percent discounts, and empty for the rest. `stock` empty means unlimited."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="rewards")
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=RewardType.choices)
    description = models.TextField(blank=True)
    image_url = models.URLField(max_length=500, blank=True, null=True)
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    product_id = models.CharField(max_length=255, blank=True)
    points_cost = models.PositiveIntegerField()
    min_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    segment = models.ForeignKey(
        Segment, on_delete=models.RESTRICT, null=True, blank=True, related_name="rewards",
        help_text="Offered to and redeemable by this segment's members only.",
    )  # fmt: skip
    stock = models.PositiveIntegerField(null=True, blank=True)
    limit_per_member = models.PositiveIntegerField(null=True, blank=True)
    min_subtotal = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    code_expiry_days = models.PositiveIntegerField(null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    # Points for discount at checkout ("use 500 points for $5 off"): the shopper chooses how many points,
    # in steps of `points_cost`, each step worth `value` off the order, capped by the order subtotal.
    variable = models.BooleanField(
        default=False,
        help_text="Points for discount at checkout: the shopper picks the points in steps of the points cost, "
        "each step worth the value.",
    )
    max_points = models.PositiveIntegerField(
        null=True, blank=True, help_text="Variable rewards: most points one checkout discount may use."
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="%(app_label)s_%(class)s_unique_key"),
            models.CheckConstraint(condition=Q(points_cost__gt=0), name="%(app_label)s_%(class)s_cost_positive"),
            models.CheckConstraint(
                condition=Q(variable=False) | Q(type=RewardType.FIXED_DISCOUNT, value__gt=0),
                name="%(app_label)s_%(class)s_variable_is_fixed_discount",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        """What each type needs to be honoured at checkout (the admin's form validation)."""
        from django.core.exceptions import ValidationError

        money_types = (RewardType.FIXED_DISCOUNT, RewardType.GIFT_CARD, RewardType.STORE_CREDIT)
        if self.type in (*money_types, RewardType.PERCENT_DISCOUNT) and not self.value:
            raise ValidationError({"value": "This reward type needs a value."})
        if self.type == RewardType.PERCENT_DISCOUNT and self.value and self.value > 100:
            raise ValidationError({"value": "A percent discount is at most 100."})
        if self.type == RewardType.FREE_PRODUCT and not self.product_id:
            raise ValidationError({"product_id": "A free product reward needs the product id."})
        if self.variable and self.type != RewardType.FIXED_DISCOUNT:
            raise ValidationError({"variable": "Only fixed discounts can be variable (points for discount)."})
        if self.code_expiry_days and self.code_expiry_days > MAX_CODE_EXPIRY_DAYS:
            raise ValidationError({"code_expiry_days": f"At most {MAX_CODE_EXPIRY_DAYS} days."})
        if self.segment_id is not None and self.segment.program_id != self.program_id:
            raise ValidationError({"segment": "Choose a segment of the reward's own program."})

    def is_live(self, at) -> bool:
        """Active and inside its window (half-open: starts_at ≤ at < ends_at)."""
        if not self.active or (self.starts_at and at < self.starts_at):
            return False
        return not (self.ends_at and at >= self.ends_at)


class Redemption(models.Model):
    """A member spent points on a reward. The ledger row (`redemption:<id>`) and the voucher are written
    in the same transaction. Cancelling returns the points with a new ledger row (`redemption-cancel:<id>`)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="redemptions")
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    points_spent = models.PositiveIntegerField()
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    order_subtotal = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, help_text="Checkout discounts: the order's subtotal."
    )
    status = models.CharField(max_length=12, choices=RedemptionStatus.choices, default=RedemptionStatus.COMPLETED)
    fulfilment_status = models.CharField(
        max_length=14, choices=FulfilmentStatus.choices, default=FulfilmentStatus.NOT_REQUIRED
    )
    fulfilment_note = models.TextField(blank=True, help_text="Tracking number, booking reference…")
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    fulfilment_updated_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="%(app_label)s_%(class)s_unique_idempotency_key",
            ),
            models.CheckConstraint(condition=Q(points_spent__gt=0), name="%(app_label)s_%(class)s_points_positive"),
        ]
        indexes = [models.Index(fields=["member", "reward", "status"], name="rewards_redeem_member_limit")]

    def __str__(self):
        return f"{self.reward} for {self.member} ({self.points_spent} points)"


class Voucher(models.Model):
    """A single-use code the shop honours at checkout. What it is worth is copied from the reward when it
    is issued, so later catalog edits never change a code a member already holds. Codes are unique across
    every program (a lookup by code is one index probe) and use the Shopify-safe alphabet of `loyalty.codes`."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="vouchers")
    redemption = models.OneToOneField(
        Redemption, on_delete=models.CASCADE, null=True, blank=True, related_name="voucher"
    )
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, null=True, blank=True, related_name="vouchers")
    source = models.CharField(max_length=12, choices=VoucherSource.choices, default=VoucherSource.REDEMPTION)
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=RewardType.choices)
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    product_id = models.CharField(max_length=255, blank=True)
    min_subtotal = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=10, choices=VoucherStatus.choices, default=VoucherStatus.ACTIVE)
    expires_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    used_order_id = models.CharField(max_length=255, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="%(app_label)s_%(class)s_unique_code"),
        ]
        indexes = [
            models.Index(fields=["member", "-id"], name="rewards_voucher_member_new"),
            models.Index(
                fields=["expires_at"], name="rewards_voucher_expiry", condition=Q(status=VoucherStatus.ACTIVE)
            ),
        ]

    def __str__(self):
        return self.code

    def status_at(self, at) -> str:
        """The status as of `at`: an active code past its expiry is expired even before the job marks it."""
        if self.status == VoucherStatus.ACTIVE and self.expires_at and self.expires_at <= at:
            return VoucherStatus.EXPIRED
        return self.status
