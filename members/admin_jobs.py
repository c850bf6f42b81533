"""Admin pages of the scheduled work: job runs (superusers: they span every merchant), the notifications sent
to members, and the merchant's webhook endpoints with their delivery log and redelivery by hand."""

import secrets

from django import forms
from django.contrib import admin, messages

from loyalty.admin_base import MerchantScopedAdmin, ReadOnlyMixin, SuperuserOnlyAdmin, https_url_formfield
from members.job_models import JobRun, Notification, WebhookDelivery, WebhookEndpoint, WebhookEvent
from members.webhooks.delivery import webhook_redeliver


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyMixin, SuperuserOnlyAdmin):
    list_display = ["name", "as_of", "status", "started_at", "finished_at", "rows", "chunks", "error"]
    list_filter = ["name", "status"]
    ordering = ["-id"]
    list_per_page = 50
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyMixin, MerchantScopedAdmin):
    list_display = ["created_at", "member", "kind", "status", "attempts", "claimed_at", "sent_at", "last_error"]
    list_select_related = ["member"]
    list_filter = ["kind", "status"]
    ordering = ["-id"]
    list_per_page = 50
    show_full_result_count = False
    search_fields = ["member__customer_id"]
    search_help_text = "Exact customer id."

    def get_search_results(self, request, queryset, search_term):
        term = search_term.replace("\x00", "").strip()[:200]
        return (queryset.filter(member__customer_id=term), False) if term else (queryset, False)


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookEndpoint
        formfield_callback = https_url_formfield  # URLs typed without a scheme are https
        fields = ["program", "url", "events", "active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(MerchantScopedAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "program", "active", "created_at"]
    list_filter = ["active"]
    readonly_fields = ["secret"]

    def save_model(self, request, obj, form, change):
        if not obj.secret:
            obj.secret = secrets.token_urlsafe(32)
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyMixin, MerchantScopedAdmin):
    list_display = ["created_at", "event", "event_id", "endpoint", "status", "attempts", "response_status",
                    "last_error", "delivered_at"]  # fmt: skip
    list_select_related = ["endpoint"]
    list_filter = ["event", "status"]
    ordering = ["-id"]
    list_per_page = 50
    show_full_result_count = False
    actions = ["redeliver"]

    @admin.action(description="Redeliver the selected events")
    def redeliver(self, request, queryset):
        count = webhook_redeliver(delivery_ids=list(queryset.values_list("pk", flat=True)))
        messages.success(request, f"{count} deliveries queued again.")
