"""Merchant admin of challenges (with how many members completed each and how many are on their way), the
members' progress (read-only: written by the progress service) and the leaderboard settings."""

from django.contrib import admin
from django.db.models import Count, Q

from challenges.models import Challenge, ChallengeProgress, Leaderboard
from loyalty.admin_base import MerchantScopedAdmin, ReadOnlyMixin


@admin.register(Challenge)
class ChallengeAdmin(MerchantScopedAdmin):
    list_display = ["name", "program", "metric", "target", "starts_at", "ends_at", "reward_points", "reward",
                    "active", "completions", "in_progress"]  # fmt: skip
    list_filter = ["program", "active", "metric"]
    search_fields = ["name", "key"]
    ordering = ["program", "position", "id"]
    fieldsets = [
        (None, {"fields": ["program", "key", "name", "description", "translations", "active", "position"]}),
        (
            "Who",
            {
                "fields": ["segment"],
                "description": "Empty: every member. A segment: only its members see the challenge and can "
                "complete it (membership is judged when they order or act).",
            },
        ),
        (
            "Goal",
            {
                "fields": ["metric", "event_type", "target", "starts_at", "ends_at"],
                "description": "Counted from paid orders (by placed date) or events of one type inside the "
                "window. Leave the end empty for a milestone (a lifetime goal).",
            },
        ),
        (
            "Reward",
            {
                "fields": ["reward_points", "reward"],
                "description": "Given once per member: points, a voucher of a catalog reward, or both. "
                "A refund after completion doesn't take it back.",
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("program", "reward")
            .annotate(
                completed_count=Count("progress", filter=Q(progress__completed_at__isnull=False)),
                started_count=Count("progress", filter=Q(progress__completed_at__isnull=True, progress__value__gt=0)),
            )
        )

    @admin.display(description="Completed", ordering="completed_count")
    def completions(self, obj):
        return obj.completed_count

    @admin.display(description="On their way", ordering="started_count")
    def in_progress(self, obj):
        return obj.started_count


@admin.register(ChallengeProgress)
class ChallengeProgressAdmin(ReadOnlyMixin, MerchantScopedAdmin):
    list_display = ["member", "challenge", "value", "completed_at", "updated_at"]
    list_filter = ["program", "challenge"]
    list_select_related = ["member", "challenge"]
    search_fields = ["member__customer_id", "member__email"]
    ordering = ["-updated_at"]


@admin.register(Leaderboard)
class LeaderboardAdmin(MerchantScopedAdmin):
    list_display = ["program", "enabled", "period", "size"]
    list_select_related = ["program"]
    fields = ["program", "enabled", "period", "size"]
