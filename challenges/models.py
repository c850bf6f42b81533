"""Challenges and milestones (goals a member reaches once, for a reward) and the program's leaderboard."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone, translation

from challenges.choices import ChallengeMetric, LeaderboardPeriod
from loyalty.models import Program, Segment
from members.models import Member
from rewards.models import Reward


class Challenge(models.Model):
    """A goal ("3 orders in December", "review 2 products", "spend 200 this quarter") counted from the member's
    paid orders (by `placed_at`) or events (by `occurred_at`) inside [starts_at, ends_at). No `ends_at` makes it
    a milestone (a lifetime goal: "your 10th order"). Completed once per member, rewarded with points, a
    voucher of a catalog reward, or both. `translations` holds the shopper-facing text in other languages:
    `{"ar": {"name": "…", "description": "…"}, "fa": {…}}`."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="challenges")
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    translations = models.JSONField(default=dict, blank=True, help_text='{"ar": {"name": "…", "description": "…"}}')
    metric = models.CharField(max_length=10, choices=ChallengeMetric.choices)
    event_type = models.CharField(max_length=100, blank=True, help_text="Metric `event`: the event type counted.")
    target = models.DecimalField(
        max_digits=14, decimal_places=2, help_text="Orders or events to count, or money to spend."
    )
    starts_at = models.DateTimeField(null=True, blank=True, help_text="Empty: counts from the member's first day.")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Empty: a milestone, with no end.")
    reward_points = models.PositiveIntegerField(default=0)
    reward = models.ForeignKey(
        Reward, on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="A voucher of this reward."
    )
    segment = models.ForeignKey(
        Segment, on_delete=models.RESTRICT, null=True, blank=True, related_name="challenges",
        help_text="Shown to and completed by this segment's members only.",
    )  # fmt: skip
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "key"], name="%(app_label)s_%(class)s_unique_key"),
            models.CheckConstraint(condition=Q(target__gt=0), name="%(app_label)s_%(class)s_target_positive"),
            models.CheckConstraint(
                condition=Q(reward_points__gt=0) | Q(reward__isnull=False), name="%(app_label)s_%(class)s_has_reward"
            ),
            models.CheckConstraint(
                condition=~Q(metric=ChallengeMetric.EVENT) | ~Q(event_type=""),
                name="%(app_label)s_%(class)s_event_has_type",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="%(app_label)s_%(class)s_window_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_milestone(self) -> bool:
        return self.ends_at is None

    def covers(self, at) -> bool:
        """Whether an order placed (an event occurring) at `at` counts."""
        return (self.starts_at is None or self.starts_at <= at) and (self.ends_at is None or at < self.ends_at)

    def text(self, field: str) -> str:
        """`name` or `description` in the active language, the merchant's own text when not translated."""
        language = (translation.get_language() or "").split("-")[0]
        localized = self.translations.get(language) if isinstance(self.translations, dict) else None
        value = localized.get(field) if isinstance(localized, dict) else None
        return value if isinstance(value, str) and value.strip() else getattr(self, field)

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.metric == ChallengeMetric.EVENT and not self.event_type:
            errors["event_type"] = "Name the event type this challenge counts."
        counted = self.metric in (ChallengeMetric.ORDERS, ChallengeMetric.EVENT)
        if counted and self.target is not None and self.target != int(self.target):
            errors["target"] = "Orders and events are counted in whole numbers."
        if not self.reward_points and self.reward_id is None:
            errors["reward_points"] = "Give points, a reward, or both."
        if self.reward_id and self.program_id and self.reward.program_id != self.program_id:
            errors["reward"] = "Choose a reward of this program."
        if self.segment_id and self.program_id and self.segment.program_id != self.program_id:
            errors["segment"] = "Choose a segment of this program."
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The end must come after the start."
        if errors:
            raise ValidationError(errors)


class ChallengeProgress(models.Model):
    """Where one member stands on one challenge. `value` is recounted from the member's orders or events (so a
    retried order never counts twice); `completed_at` is set once, by a conditional UPDATE, and never cleared
    (a refund after completion doesn't take the reward back)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="challenge_progress")
    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="progress")
    value = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "challenge"], name="%(app_label)s_%(class)s_unique_member"),
        ]
        indexes = [
            models.Index(
                fields=["challenge"], name="challenges_progress_done", condition=Q(completed_at__isnull=False)
            ),
        ]

    def __str__(self):
        return f"{self.member_id} on {self.challenge_id}: {self.value}"


class Leaderboard(models.Model):
    """A program's leaderboard: the top `size` members by points earned in the current period. Only members
    who opted in (`Member.leaderboard_opt_in`) ever appear, with masked names."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="leaderboard")
    enabled = models.BooleanField(default=False)
    period = models.CharField(max_length=10, choices=LeaderboardPeriod.choices, default=LeaderboardPeriod.MONTH)
    size = models.PositiveSmallIntegerField(default=10)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(size__gte=1) & Q(size__lte=100), name="%(app_label)s_%(class)s_size_range"
            ),
        ]

    def __str__(self):
        return f"Leaderboard of {self.program}"
