"""Records of the scheduled work: job runs, member notifications (the idempotency record of every email)
and outbound webhooks. Imported by `members.models`, so they belong to the `members` app."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from loyalty.models import Program


class JobRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class JobRun(models.Model):
    """One run of a scheduled job: when, as of which clock, how many rows it touched, how it ended.
    `rows` and `chunks` grow after every committed chunk, so a crashed run shows how far it got."""

    name = models.CharField(max_length=60)
    as_of = models.DateTimeField()
    status = models.CharField(max_length=10, choices=JobRunStatus.choices, default=JobRunStatus.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.BigIntegerField(default=0, help_text="Rows touched (committed chunks only).")
    chunks = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["name", "-started_at"], name="members_jobrun_name_started")]

    def __str__(self):
        return f"{self.name} as of {self.as_of:%Y-%m-%d %H:%M} ({self.status})"


class NotificationKind(models.TextChoices):
    POINTS_EARNED = "points_earned", "Points earned (digest)"
    TIER_CHANGED = "tier_changed", "Tier changed"
    EXPIRY_WARNING = "expiry_warning", "Points expiring soon"
    POINTS_EXPIRED = "points_expired", "Points expired"
    BIRTHDAY = "birthday", "Birthday reward"
    REFERRAL_REWARD = "referral_reward", "Referral reward"
    CODE_ISSUED = "code_issued", "Redemption code issued"
    CHALLENGE_COMPLETED = "challenge_done", "Challenge completed"
    MEMBERSHIP_ENDED = "membership_ended", "Paid membership ended"


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (unsubscribed or no address)"


class Notification(models.Model):
    """One email about one fact (`key`, unique per program: `expired:{lot_id}`, `birthday:{member}:{year}`…).
    The unique key is what makes a fact mailed once: jobs insert with ON CONFLICT DO NOTHING, and the
    sender claims a queued row with one conditional UPDATE before sending it."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    key = models.CharField(max_length=200)
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a sender claimed it (status `sending`): a stale claim is never resent."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="%(app_label)s_%(class)s_unique_key"),
        ]
        indexes = [
            models.Index(fields=["id"], name="members_notification_queued", condition=Q(status="queued")),
            models.Index(fields=["member", "-created_at"], name="members_notification_member"),
            # The reaper finds stale claims (status `sending`) without scanning the table (helper E's request).
            models.Index(fields=["claimed_at"], name="members_notification_sending", condition=Q(status="sending")),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.member_id} ({self.status})"


class WebhookEvent(models.TextChoices):
    MEMBER_CREATED = "member.created"
    POINTS_EARNED = "points.earned"
    POINTS_SPENT = "points.spent"
    POINTS_EXPIRED = "points.expired"
    TIER_CHANGED = "tier.changed"
    REWARD_REDEEMED = "reward.redeemed"
    REFERRAL_COMPLETED = "referral.completed"


class WebhookEndpoint(models.Model):
    """A merchant's own system (email tool, CRM) that receives the program's events, signed with `secret`."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=64)
    events = models.JSONField(default=list, help_text="Event names this endpoint receives.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (retries exhausted)"


class WebhookDelivery(models.Model):
    """One event for one endpoint, with its attempts. `event_id` (unique per endpoint) keeps an event
    from being queued twice; redelivery by hand re-sends the same body with the same `event_id`."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    event_id = models.CharField(max_length=200)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="%(app_label)s_%(class)s_unique_event"),
        ]

    def __str__(self):
        return f"{self.event} → {self.endpoint} ({self.status})"
