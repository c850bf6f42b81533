"""Merchant admin of the catalog, redemptions and codes. Rewards are edited as rows (validated per type by
`Reward.clean`); redemptions and codes are records: only a physical item's or experience's fulfilment is
edited here, and cancelling (points back to the member) goes through `redemption_cancel`, never an edit.
Every change here (a fulfilment, one by one or in bulk, a cancellation) writes an audit entry."""

import logging

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q

from loyalty.admin_base import MerchantScopedAdmin, export_csv, stored_snapshot
from loyalty.errors import ApplicationError
from loyalty.services.audit import model_snapshot
from rewards.choices import FULFILLED_TYPES, FulfilmentStatus, RedemptionStatus
from rewards.codes import voucher_code_normalize
from rewards.models import Redemption, Reward, Voucher
from rewards.services.redemptions import redemption_cancel, redemption_fulfilment_update, voucher_cancel

logger = logging.getLogger(__name__)


class _ServiceVouchersMixin:
    def has_service_permission(self, request) -> bool:
        """Cancelling codes and moving fulfilment: the roles with `service_vouchers`, inside their merchant."""
        return self.has_view_permission(request) and request.user.has_perm("loyalty.service_vouchers")


@admin.register(Reward)
class RewardAdmin(MerchantScopedAdmin):
    list_display = ["name", "key", "type", "value", "points_cost", "min_tier", "stock", "redeemed", "active", "program"]
    list_filter = ["program", "type", "active"]
    list_select_related = ["program", "min_tier"]
    search_fields = ["name", "=key"]
    ordering = ["program", "position", "id"]
    fieldsets = [
        (None, {"fields": ["program", "key", "name", "type", "description", "image_url", "position", "active"]}),
        ("What it is worth", {"fields": ["value", "product_id", "points_cost", "variable", "max_points"]}),
        (
            "Who may redeem it, and when",
            {"fields": ["min_tier", "segment", "stock", "limit_per_member", "starts_at", "ends_at"]},
        ),
        ("The code", {"fields": ["min_subtotal", "code_expiry_days"]}),
    ]

    def get_queryset(self, request):
        live = Q(redemptions__status=RedemptionStatus.COMPLETED)
        return super().get_queryset(request).annotate(redeemed_count=Count("redemptions", filter=live))

    @admin.display(description="Redeemed", ordering="redeemed_count")
    def redeemed(self, reward: Reward) -> int:
        return reward.redeemed_count


class RedemptionForm(forms.ModelForm):
    """Only the fulfilment moves here, and only for rewards the merchant fulfils by hand."""

    class Meta:
        model = Redemption
        fields = ["fulfilment_status", "fulfilment_note"]

    def clean(self):
        cleaned = super().clean()
        redemption = self.instance
        if redemption.reward.type not in FULFILLED_TYPES:
            raise forms.ValidationError("Only physical items and experiences are fulfilled by the merchant.")
        if redemption.status == RedemptionStatus.CANCELLED:
            raise forms.ValidationError("This redemption was cancelled.")
        if cleaned.get("fulfilment_status") == FulfilmentStatus.NOT_REQUIRED:
            self.add_error("fulfilment_status", "Choose a fulfilment status.")
        return cleaned


@admin.register(Redemption)
class RedemptionAdmin(_ServiceVouchersMixin, MerchantScopedAdmin):
    form = RedemptionForm
    list_display = [
        "id",
        "member",
        "reward",
        "points_spent",
        "value",
        "code",
        "status",
        "fulfilment_status",
        "created_at",
    ]
    list_filter = ["fulfilment_status", "status", "reward__type", "created_at"]
    list_select_related = ["member", "reward", "voucher"]
    search_fields = ["=member__customer_id", "member__email", "=voucher__code"]
    show_full_result_count = False
    date_hierarchy = "created_at"
    actions = ["mark_in_progress", "mark_shipped", "mark_fulfilled", "cancel_and_return_points", export_csv]
    csv_fields = ["created_at", "member__customer_id", "reward__key", "points_spent", "value", "code", "status",
                  "fulfilment_status", "cancelled_at"]  # fmt: skip
    readonly_fields = [
        "program",
        "member",
        "reward",
        "points_spent",
        "value",
        "order_subtotal",
        "code",
        "status",
        "created_at",
        "fulfilment_updated_at",
        "cancelled_at",
        "cancelled_by",
    ]

    def get_fields(self, request, obj=None):
        editable = ["fulfilment_status", "fulfilment_note"] if self._fulfillable(obj) else []
        return [*self.readonly_fields, *editable]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Redemptions are records: staff who service vouchers move a fulfilment; a discount's page is read-only.
        return self.has_service_permission(request) and (obj is None or self._fulfillable(obj))

    def has_delete_permission(self, request, obj=None):
        return False  # the ledger keeps the debit: cancel instead, which returns the points

    @admin.display(description="Code")
    def code(self, redemption: Redemption) -> str:
        voucher = getattr(redemption, "voucher", None)
        return voucher.code if voucher else "—"

    def save_model(self, request, obj, form, change):
        self.assert_in_scope(request, obj)
        before = stored_snapshot(obj)
        redemption_fulfilment_update(
            redemption=obj,
            status=form.cleaned_data["fulfilment_status"],
            note=form.cleaned_data["fulfilment_note"],
            acting_user=request.user,
        )
        obj.refresh_from_db()
        self.audit(request, action="fulfilment_update", obj=obj, before=before, after=model_snapshot(obj))

    @staticmethod
    def _fulfillable(redemption: Redemption | None) -> bool:
        return bool(
            redemption and redemption.reward.type in FULFILLED_TYPES and redemption.status == RedemptionStatus.COMPLETED
        )

    def _each(self, request, queryset, act, done: str, action: str):
        """Run `act` on every selected redemption, each audited as `action`; refusals are reported one by one,
        never half-applied."""
        succeeded = 0
        for redemption in queryset.select_related("reward"):
            before = model_snapshot(redemption)
            try:
                act(redemption)
            except ApplicationError as exc:
                self.message_user(request, f"Redemption {redemption.pk}: {exc.message}", messages.WARNING)
                continue
            succeeded += 1
            redemption.refresh_from_db()
            self.audit(request, action=action, obj=redemption, before=before, after=model_snapshot(redemption))
        if succeeded:
            self.message_user(request, f"{succeeded} redemption(s) {done}.", messages.SUCCESS)

    def _mark(self, request, queryset, status: str):
        def act(redemption):
            redemption_fulfilment_update(redemption=redemption, status=status, acting_user=request.user)

        self._each(request, queryset, act, f"marked {FulfilmentStatus(status).label.lower()}", "fulfilment_update")

    @admin.action(description="Mark in progress", permissions=["service"])
    def mark_in_progress(self, request, queryset):
        self._mark(request, queryset, FulfilmentStatus.IN_PROGRESS)

    @admin.action(description="Mark shipped", permissions=["service"])
    def mark_shipped(self, request, queryset):
        self._mark(request, queryset, FulfilmentStatus.SHIPPED)

    @admin.action(description="Mark fulfilled", permissions=["service"])
    def mark_fulfilled(self, request, queryset):
        self._mark(request, queryset, FulfilmentStatus.FULFILLED)

    @admin.action(description="Cancel and return the points to the member", permissions=["service"])
    def cancel_and_return_points(self, request, queryset):
        def act(redemption):
            redemption_cancel(redemption=redemption, acting_user=request.user, reason="cancelled in the admin")

        self._each(request, queryset, act, "cancelled, points returned", "redemption_cancel")


@admin.register(Voucher)
class VoucherAdmin(_ServiceVouchersMixin, MerchantScopedAdmin):
    list_display = ["code", "member", "name", "type", "value", "status", "source", "expires_at", "used_at"]
    list_filter = ["status", "type", "source"]
    list_select_related = ["member"]
    search_fields = ["=code", "=member__customer_id", "member__email"]
    show_full_result_count = False
    actions = ["cancel_and_return_points"]
    readonly_fields = [
        "code",
        "program",
        "member",
        "reward",
        "redemption",
        "source",
        "name",
        "type",
        "value",
        "product_id",
        "min_subtotal",
        "status",
        "expires_at",
        "used_at",
        "used_order_id",
        "cancelled_at",
        "created_at",
    ]

    def get_search_results(self, request, queryset, search_term):
        # A typed code is found by the unique index on `code` (the stock `=code` is a case-insensitive scan).
        code = voucher_code_normalize(search_term)
        if code:
            return queryset.filter(code=code), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a record: its status moves through consume, expiry and cancel only

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Cancel (a redemption's points go back to the member)", permissions=["service"])
    def cancel_and_return_points(self, request, queryset):
        cancelled = 0
        for voucher in queryset.select_related("redemption"):
            before = model_snapshot(voucher)
            try:
                voucher_cancel(voucher=voucher, acting_user=request.user, reason="cancelled in the admin")
            except ApplicationError as exc:
                self.message_user(request, f"{voucher.code}: {exc.message}", messages.WARNING)
                continue
            cancelled += 1
            voucher.refresh_from_db()
            self.audit(request, action="voucher_cancel", obj=voucher, before=before, after=model_snapshot(voucher))
        if cancelled:
            self.message_user(request, f"{cancelled} code(s) cancelled.", messages.SUCCESS)
