"""Merchant admin of paid membership: the plans (configuration) and the memberships with their billing events
(records written by the API and the lapse job: read-only here). "Paying now" lists the members who hold an
active or cancelled-but-paid membership."""

from django.contrib import admin
from django.db.models import Count, Q

from loyalty.admin_base import MerchantScopedAdmin, ReadOnlyMixin, ScopedTabularInline, export_csv
from memberships.choices import LIVE_STATUSES
from memberships.models import Membership, MembershipEvent, MembershipPlan


@admin.register(MembershipPlan)
class MembershipPlanAdmin(MerchantScopedAdmin):
    list_display = ["name", "key", "program", "price", "currency", "interval", "tier", "active", "paying_members"]
    list_filter = ["program", "interval", "active"]
    list_select_related = ["program", "tier"]
    search_fields = ["name", "=key"]
    ordering = ["program", "price", "id"]
    fields = ["program", "key", "name", "perks", "price", "currency", "interval", "tier", "active"]

    def get_queryset(self, request):
        live = Q(memberships__status__in=LIVE_STATUSES)
        return super().get_queryset(request).annotate(paying=Count("memberships", filter=live))

    @admin.display(description="Paying members", ordering="paying")
    def paying_members(self, obj):
        return obj.paying


class PayingNowFilter(admin.SimpleListFilter):
    title = "paying now"
    parameter_name = "paying"

    def lookups(self, request, model_admin):
        return [("yes", "Active or cancelled but paid"), ("no", "Lapsed")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status__in=LIVE_STATUSES)
        if self.value() == "no":
            return queryset.exclude(status__in=LIVE_STATUSES)
        return queryset


class MembershipEventInline(ReadOnlyMixin, ScopedTabularInline):
    model = MembershipEvent
    fields = ["created_at", "type", "event_id", "amount", "paid_until"]
    readonly_fields = fields
    extra = 0
    ordering = ["-created_at", "-id"]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyMixin, MerchantScopedAdmin):
    list_display = ["member", "plan", "status", "started_at", "paid_until", "cancelled_at", "lapsed_at"]
    list_filter = [PayingNowFilter, "status", "plan"]
    list_select_related = ["member", "plan"]
    search_fields = ["=member__customer_id", "member__email", "=external_id"]
    date_hierarchy = "paid_until"
    ordering = ["-started_at", "-id"]
    inlines = [MembershipEventInline]
    actions = [export_csv]
    csv_fields = ["member__customer_id", "member__email", "plan__key", "status", "started_at", "paid_until",
                  "cancelled_at", "lapsed_at", "external_id"]  # fmt: skip
