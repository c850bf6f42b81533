"""A CSV import of members (with balances and tiers) from another loyalty app. Imported by `members.models`,
so it belongs to the `members` app. The file is kept with the job so the background task can read it."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from loyalty.models import Program


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(max_length=200, blank=True)
    content = models.TextField(help_text="The uploaded CSV, as text.")
    dry_run = models.BooleanField(default=True, help_text="Validate every row and write nothing.")
    status = models.CharField(max_length=10, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    rows_failed = models.PositiveIntegerField(default=0)
    members_created = models.PositiveIntegerField(default=0)
    points_posted = models.BigIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text='[{"row": 3, "field": "points", "message": ...}]')
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["program", "-created_at"], name="members_importjob_program")]

    def __str__(self):
        kind = "dry run" if self.dry_run else "import"
        return f"{kind} of {self.filename or 'members.csv'} ({self.status})"

    @property
    def progress_pct(self) -> int:
        return round(100 * self.rows_done / self.rows_total) if self.rows_total else 0
