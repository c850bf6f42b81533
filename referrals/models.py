"""Referral records, the per-program fraud settings and the signals that recognise one person behind two accounts."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from loyalty.models import Program
from members.models import Member, Order
from referrals.choices import BlockReason, ReferralStatus, SignalKind
from rewards.models import Voucher


class ReferralSettings(models.Model):
    """Fraud controls of one program. Created lazily with these defaults (`referral_settings_get`)."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="referral_settings")
    block_self_referral = models.BooleanField(
        default=True,
        help_text="Block a friend with the referrer's customer id, email (Gmail dots and +tags ignored), "
        "phone or shipping address.",
    )
    new_customers_only = models.BooleanField(
        default=True, help_text="A friend who had already ordered before the referral does not qualify."
    )
    monthly_cap_per_referrer = models.PositiveIntegerField(
        null=True, blank=True, default=10, help_text="Referrals one member may make per calendar month; empty: no cap."
    )
    block_same_ip = models.BooleanField(default=True, help_text="Block a friend seen on one of the referrer's IPs.")
    block_same_device = models.BooleanField(
        default=True, help_text="Block a friend seen on one of the referrer's device fingerprints."
    )

    class Meta:
        verbose_name_plural = "referral settings"

    def __str__(self):
        return f"Referral settings of {self.program}"


class Referral(models.Model):
    """One friend referred by one member: claimed on the landing page and/or joined with the code, then
    converted by the friend's first qualifying order. Blocked attempts are kept with the reason."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="referrals")
    referrer = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="referrals_made")
    friend = models.ForeignKey(
        Member, on_delete=models.CASCADE, null=True, blank=True, related_name="referrals_received"
    )
    friend_email = models.EmailField(max_length=254, blank=True)
    friend_email_normalized = models.CharField(max_length=254, blank=True)
    status = models.CharField(max_length=12, choices=ReferralStatus.choices)
    block_reason = models.CharField(max_length=24, choices=BlockReason.choices, blank=True)
    block_detail = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    device_fingerprint = models.CharField(max_length=128, blank=True)

    friend_voucher = models.ForeignKey(Voucher, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    qualifying_order = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    referrer_points = models.IntegerField(default=0)
    referrer_voucher = models.ForeignKey(Voucher, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reward_pending_until = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    joined_at = models.DateTimeField(null=True, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A person is referred once: the first attribution (allowed or blocked) decides.
            models.UniqueConstraint(
                fields=["friend"], condition=Q(friend__isnull=False), name="%(app_label)s_%(class)s_unique_friend"
            ),
            models.UniqueConstraint(
                fields=["program", "friend_email_normalized"],
                condition=~Q(friend_email_normalized=""),
                name="%(app_label)s_%(class)s_unique_friend_email",
            ),
            models.CheckConstraint(
                condition=Q(status=ReferralStatus.BLOCKED, block_reason__gt="")
                | (~Q(status=ReferralStatus.BLOCKED) & Q(block_reason="")),
                name="%(app_label)s_%(class)s_reason_iff_blocked",
            ),
            models.CheckConstraint(
                condition=Q(friend__isnull=False) | ~Q(friend_email_normalized=""),
                name="%(app_label)s_%(class)s_friend_or_email",
            ),
        ]
        indexes = [
            models.Index(fields=["referrer", "created_at"], name="referrals_referrer_created"),
            models.Index(fields=["program", "status"], name="referrals_program_status"),
        ]

    def __str__(self):
        return f"{self.referrer} → {self.friend or self.friend_email} ({self.status})"


class MemberSignal(models.Model):
    """An IP, device fingerprint or shipping address the storefront sent with a member's sign-up or order,
    stored as a SHA-256 of its normalised form: enough to match, nothing to leak."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="referral_signals")
    kind = models.CharField(max_length=10, choices=SignalKind.choices)
    value_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member", "kind", "value_hash"], name="%(app_label)s_%(class)s_unique_member_value"
            ),
        ]

    def __str__(self):
        return f"{self.kind} of {self.member_id}"
