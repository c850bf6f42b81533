"""Referrals in the merchant admin: every referral with its status, blocked ones with the reason, the
fraud settings of each program and its referral stats. Referrals are written only by the referral services,
so they are read-only here."""

from django.contrib import admin
from django.utils.html import format_html_join

from loyalty.admin_base import MerchantScopedAdmin, ReadOnlyMixin
from referrals.models import Referral, ReferralSettings
from referrals.selectors import referral_stats


@admin.register(Referral)
class ReferralAdmin(ReadOnlyMixin, MerchantScopedAdmin):
    list_display = [
        "id",
        "program",
        "referrer",
        "friend_shown",
        "status",
        "block_reason",
        "block_detail",
        "created_at",
        "converted_at",
    ]
    list_filter = ["status", "block_reason", "program"]
    list_select_related = ["program", "referrer", "friend"]
    search_fields = ["=referrer__customer_id", "=referrer__email", "=friend__customer_id", "=friend_email"]
    search_help_text = "Exact customer id or email of the referrer or the friend."
    show_full_result_count = False
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Referral._meta.fields]

    @admin.display(description="friend")
    def friend_shown(self, referral: Referral) -> str:
        return str(referral.friend) if referral.friend_id else f"{referral.friend_email} (not a member yet)"


@admin.register(ReferralSettings)
class ReferralSettingsAdmin(MerchantScopedAdmin):
    list_display = [
        "program",
        "block_self_referral",
        "new_customers_only",
        "monthly_cap_per_referrer",
        "block_same_ip",
        "block_same_device",
    ]
    list_select_related = ["program"]
    readonly_fields = ["stats"]

    @admin.display(description="referral stats")
    def stats(self, settings: ReferralSettings):
        if not settings.pk:
            return "-"
        numbers = referral_stats(program=settings.program)
        rows = [
            ("Invites claimed", numbers.invites_claimed),
            ("Friends converted", numbers.friends_converted),
            ("Blocked", numbers.blocked),
            (f"Revenue from referred friends ({settings.program.currency})", numbers.revenue),
            ("Friend rewards granted", numbers.friend_rewards_granted),
            ("Referrer rewards granted", numbers.referrer_rewards_granted),
            ("Referrer points granted", numbers.referrer_points_granted),
        ]
        return format_html_join("", "<div>{}: <strong>{}</strong></div>", rows)
