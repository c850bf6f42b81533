"""The audit log: one row per merchant action that changes money, points or configuration. Imported by
`loyalty.models`, so it belongs to the `loyalty` app. Rows are only ever inserted (`loyalty.services.audit`)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    merchant = models.ForeignKey("loyalty.Merchant", on_delete=models.CASCADE, related_name="audit_entries")
    program = models.ForeignKey(
        "loyalty.Program", on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_entries"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40, help_text="What was done, e.g. points_adjust, program_change.")
    object_type = models.CharField(max_length=60, help_text="app_label.model of the row acted on.")
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["merchant", "-at"], name="loyalty_audit_merchant_at"),
            models.Index(fields=["object_type", "object_id"], name="loyalty_audit_object"),
        ]

    def __str__(self):
        return f"{self.action} {self.object_type}#{self.object_id} at {self.at:%Y-%m-%d %H:%M}"
