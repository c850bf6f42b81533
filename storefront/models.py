"""What the storefront channels keep: Shopify webhook receipts (deduplication and the queue of work),
each program's Shopify settings, the widget's catalog tokens and kept answers. (A member's in-store card number is their referral code: see storefront/pos.)"""

from django.db import models

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


class CatalogVersion(models.Model):
    """What a program shows every shopper (its settings, tiers and reward catalog) as one token that changes
    with every edit of them. It is part of the cache key of a member's widget answer, so that an edit in the
    admin, a program file import or the API shows in the next answer, from any process (storefront/catalog.py)."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, primary_key=True, related_name="+")
    token = models.CharField(max_length=32)

    def __str__(self):
        return f"catalog of {self.program_id}: {self.token}"


class MeAnswer(models.Model):
    """A member's rendered widget `me` answer, kept for every worker process: the statement that reads the member's
    version on each call returns it too, and it is sent as stored while `version` (the member row and the catalog
    token it was built for) is still theirs and `expires_at` (when the clock alone would change it) has not come
    (storefront/widget/caching.py). One row per member who opened the widget, rewritten when rebuilt."""

    # No foreign key in the database: a cache row needs none, and checking it made every first view's upsert lock
    # the member row (FOR KEY SHARE: a WAL record, and a wait behind an order holding the member FOR UPDATE).
    # Deleting a member through Django still deletes their answer; ids are never reused.
    member = models.OneToOneField(
        Member, on_delete=models.CASCADE, primary_key=True, related_name="+", db_constraint=False
    )
    version = models.CharField(max_length=255)
    etag = models.CharField(max_length=40)
    body = models.BinaryField()
    expires_at = models.DateTimeField()

    def __str__(self):
        return f"widget answer of member {self.member_id} until {self.expires_at:%Y-%m-%d %H:%M:%S}"
