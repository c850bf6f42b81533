"""Merchant admin of the storefront channels: Shopify settings per program, and the webhook receipts (read-only:
what Shopify sent, when, and what became of it)."""

from django.contrib import admin

from loyalty.admin_base import MerchantScopedAdmin
from storefront.models import ShopifySettings, WebhookReceipt


@admin.register(ShopifySettings)
class ShopifySettingsAdmin(MerchantScopedAdmin):
    list_display = ["program", "accept_test_orders"]


@admin.register(WebhookReceipt)
class WebhookReceiptAdmin(MerchantScopedAdmin):
    list_display = ["received_at", "program", "topic", "webhook_id", "status", "detail"]
    list_filter = ["status", "topic"]
    search_fields = ["=webhook_id"]
    readonly_fields = ["program", "webhook_id", "topic", "payload", "status", "detail", "received_at", "processed_at"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False
