"""What the storefront channels keep: Shopify webhook receipts (deduplication and the queue of work),
each program's Shopify settings, and members' in-store card numbers."""

from django.db import models
from django.db.models import Q

from loyalty.models import Program
from members.models import Member


class ReceiptStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    FAILED = "failed", "Failed"


class WebhookReceipt(models.Model):
    """One Shopify delivery, stored after its signature was verified and before any work. The unique
    (program, webhook_id) makes a redelivery a no-op; the worker reads the payload from here."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    webhook_id = models.CharField(max_length=255)
    topic = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=ReceiptStatus.choices, default=ReceiptStatus.RECEIVED)
    detail = models.CharField(max_length=255, blank=True, help_text="Why it was ignored or failed.")
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "webhook_id"], name="%(app_label)s_%(class)s_unique_delivery"),
        ]

    def __str__(self):
        return f"{self.topic} {self.webhook_id} ({self.status})"


class ShopifySettings(models.Model):
    """How a program treats Shopify's webhooks. Without a row, the defaults apply."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="shopify_settings")
    accept_test_orders = models.BooleanField(
        default=False, help_text='Award points for orders Shopify marks `"test": true` (off: they are ignored).'
    )

    class Meta:
        verbose_name_plural = "Shopify settings"

    def __str__(self):
        return f"Shopify settings of {self.program}"


class MemberCard(models.Model):
    """A member's in-store card: a 16-digit number (Luhn check digit) printed on the card and in its QR code,
    random so that card numbers cannot be guessed from one another. Issued on first need."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="card")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    number = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="%(app_label)s_%(class)s_unique_number"),
            models.CheckConstraint(condition=Q(number__regex=r"^[0-9]{16}$"), name="%(app_label)s_%(class)s_digits"),
        ]

    def __str__(self):
        return self.number
