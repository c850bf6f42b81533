"""Member service in the admin: find a member (email, name, customer id, referral/card code), see their
balance, tier history, ledger, vouchers and referrals on one page, and act: adjust points with a reason
(through the ledger, recorded with the acting user), cancel or resend a voucher, move a physical reward's fulfilment.

Lists stay fast at millions of members: exact-match search on indexed columns, no full count
(`show_full_result_count = False` and a capped paginator count), related rows joined in one query.
Ledger rows and tier history are read-only here: they change only through services."""

import logging

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.functional import cached_property

from loyalty.admin_base import MerchantScopedAdmin, ReadOnlyMixin, clean_search_term, export_csv
from loyalty.errors import ApplicationError
from loyalty.models import Tier
from loyalty.services.audit import model_snapshot
from members.admin_vouchers import VoucherNotResent, voucher_email_resend
from members.models import Member, Order, Transaction
from members.services.adjustments import points_adjust
from members.services.tiers import member_tier_assign
from referrals.models import Referral
from rewards.choices import FULFILLED_TYPES, FulfilmentStatus
from rewards.models import Redemption, Voucher
from rewards.services.redemptions import redemption_fulfilment_update, voucher_cancel

logger = logging.getLogger(__name__)

LEDGER_ROWS_SHOWN = 50
HISTORY_ROWS_SHOWN = 20
MAX_ADJUSTMENT = 10_000_000


class CappedCountPaginator(Paginator):
    """Counts at most `COUNT_CAP` rows: `COUNT(*)` over a million members on every page view is the slow part
    of a changelist. Past the cap the list shows the first pages; a search or filter narrows it."""

    COUNT_CAP = 10_000

    @cached_property
    def count(self):
        # Without the list's ORDER BY: any 10,000 matching rows count the same, and PostgreSQL may stop a plain
        # scan at the 10,000th match instead of walking the id index backwards through every non-match.
        return self.object_list.order_by()[: self.COUNT_CAP].count()


class PointsAdjustForm(forms.Form):
    points = forms.IntegerField(min_value=-MAX_ADJUSTMENT, max_value=MAX_ADJUSTMENT, help_text="Negative to debit.")
    reason = forms.CharField(
        max_length=255,
        help_text="Shown in the member's history and the audit log.",
        error_messages={"required": "Give a reason: it is kept in the ledger."},
    )

    def clean_points(self):
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError("Enter a number of points other than 0.")
        return points


class FulfilmentForm(forms.Form):
    fulfilment_status = forms.ChoiceField(
        choices=[c for c in FulfilmentStatus.choices if c[0] != FulfilmentStatus.NOT_REQUIRED]
    )
    fulfilment_note = forms.CharField(max_length=500, required=False)


@admin.register(Member)
class MemberAdmin(MerchantScopedAdmin):
    change_form_template = "admin/members/member/change_form.html"
    list_display = ["customer_id", "email", "full_name", "tier", "points_balance", "program", "created_at"]
    list_select_related = ["tier", "program"]
    list_filter = ["tier", "tier_locked"]
    list_per_page = 50
    show_full_result_count = False
    paginator = CappedCountPaginator
    ordering = ["-id"]
    # Searched by get_search_results with index-friendly lookups; listed here for the search box and autocomplete.
    search_fields = ["customer_id", "email", "first_name", "last_name", "referral_code"]
    search_help_text = "Exact email, customer id or referral/card code; or the start of a first or last name."
    fields = ["program", "customer_id", "email", "first_name", "last_name", "birthday", "phone"]
    readonly_fields = ["program", "customer_id"]
    actions = [export_csv]
    csv_fields = ["customer_id", "email", "first_name", "last_name", "points_balance", "pending_points",
                  "lifetime_points", "tier__key", "referral_code", "created_at"]  # fmt: skip

    def has_add_permission(self, request):
        return False  # members join through the shop (API, widget, import)

    def has_delete_permission(self, request, obj=None):
        return False  # deleting would erase ledger history

    def get_search_results(self, request, queryset, search_term):
        """Exact keys first (each an index probe); only when none matches, the start of a name."""
        term = clean_search_term(search_term)
        if not term:
            return queryset, False
        if "@" in term:
            return queryset.filter(email__in={term, term.lower()}), False
        exact = queryset.filter(Q(customer_id=term) | Q(referral_code=term.upper()))
        if exact.exists():
            return exact, False
        words = term.split()
        if len(words) > 1:
            return queryset.filter(first_name__istartswith=words[0], last_name__istartswith=words[-1]), False
        return queryset.filter(Q(first_name__istartswith=term) | Q(last_name__istartswith=term)), False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:member_id>/adjust-points/", view(self.adjust_points_view), name="members_member_adjust_points"),
            path("<int:member_id>/tier/", view(self.tier_assign_view), name="members_member_tier_assign"),
            path(
                "<int:member_id>/vouchers/<int:voucher_id>/cancel/",
                view(self.voucher_cancel_view),
                name="members_member_voucher_cancel",
            ),
            path(
                "<int:member_id>/vouchers/<int:voucher_id>/resend/",
                view(self.voucher_resend_view),
                name="members_member_voucher_resend",
            ),
            path(
                "<int:member_id>/redemptions/<int:redemption_id>/fulfilment/",
                view(self.fulfilment_view),
                name="members_member_fulfilment",
            ),
            *super().get_urls(),
        ]

    # The member page -----------------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        member = self.get_object(request, object_id)
        context = extra_context or {}
        if member is not None:
            context.update(self.member_page_context(request, member))
        return super().change_view(request, object_id, form_url, context)

    def get_object(self, request, object_id, from_field=None):
        # The member page shows the tier and program: fetch them with the member (one query).
        if not hasattr(request, "_member_object"):
            request._member_object = super().get_object(request, object_id, from_field)
        return request._member_object

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tier", "program")

    def member_page_context(self, request, member) -> dict:
        user = request.user
        return {
            "member": member,
            "ledger": member.transactions.select_related("acting_user").order_by("-id")[:LEDGER_ROWS_SHOWN],
            "ledger_url": reverse("admin:members_transaction_changelist") + f"?member__id__exact={member.pk}",
            "tier_history": member.tier_changes.select_related("from_tier", "to_tier", "acting_user").order_by(
                "-created_at", "-id"
            )[:HISTORY_ROWS_SHOWN],
            "vouchers": Voucher.objects.filter(member=member).select_related("redemption")[:HISTORY_ROWS_SHOWN],
            "fulfilments": Redemption.objects.filter(member=member, reward__type__in=FULFILLED_TYPES)
            .select_related("reward")
            .order_by("-id")[:HISTORY_ROWS_SHOWN],
            "referrals": Referral.objects.filter(Q(referrer=member) | Q(friend=member))
            .select_related("referrer", "friend")
            .order_by("-id")[:HISTORY_ROWS_SHOWN],
            "invite_only_tiers": list(Tier.objects.filter(program_id=member.program_id, invite_only=True)),
            "can_assign_tier": user.has_perm("loyalty.assign_tier"),
            "fulfilment_statuses": FulfilmentForm.base_fields["fulfilment_status"].choices,
            "can_adjust_points": user.has_perm("loyalty.adjust_points"),
            "can_service_vouchers": user.has_perm("loyalty.service_vouchers"),
        }

    # Member service actions (POST from buttons on the member page) ---------------------------------------

    def _member_for_action(self, request, member_id, permission) -> Member:
        """The member if they are the user's merchant's (else 404) and the user holds `permission` (else 403)."""
        member = self.get_object(request, str(member_id))
        if member is None:
            raise Http404
        if not request.user.has_perm(permission):
            raise PermissionDenied
        return member

    def _back_to(self, member):
        return HttpResponseRedirect(reverse("admin:members_member_change", args=[member.pk]))

    def adjust_points_view(self, request, member_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        member = self._member_for_action(request, member_id, "loyalty.adjust_points")
        form = PointsAdjustForm(
            {"points": request.POST.get("adjust_points"), "reason": request.POST.get("adjust_reason")}
        )
        if not form.is_valid():
            for field, errors in form.errors.items():
                messages.error(request, f"Points not adjusted: {field}: {' '.join(errors)}")
            return self._back_to(member)
        points, reason = form.cleaned_data["points"], form.cleaned_data["reason"]
        before = {"points_balance": member.points_balance}
        try:
            row, _created = points_adjust(member=member, points=points, reason=reason, acting_user=request.user)
        except ApplicationError as error:
            messages.error(request, f"Points not adjusted: {error.message}")
            return self._back_to(member)
        self.log_change(request, member, f"Adjusted points by {points:+d}: {reason}")
        self.audit(request, action="points_adjust", obj=member, before=before, note=reason,
                   after={"points_balance": row.balance_after, "points": points, "transaction_id": row.pk})  # fmt: skip
        messages.success(request, f"Points adjusted by {points:+d}. New balance: {row.balance_after}.")
        return self._back_to(member)

    def tier_assign_view(self, request, member_id):
        """Put the member in an invite-only tier (kept until removed), or remove the hand-assigned tier."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        member = self._member_for_action(request, member_id, "loyalty.assign_tier")
        tier_key = None if request.POST.get("tier_remove") else request.POST.get("tier_key") or None
        if not tier_key and not request.POST.get("tier_remove"):
            messages.error(request, "Tier not assigned: choose a tier.")
            return self._back_to(member)
        if tier_key and not Tier.objects.filter(program_id=member.program_id, key=tier_key, invite_only=True).exists():
            messages.error(request, "Tier not assigned: choose one of the program's invite-only tiers.")
            return self._back_to(member)
        before = {"tier_id": member.tier_id, "tier_locked": member.tier_locked}
        try:
            member = member_tier_assign(member=member, tier_key=tier_key, acting_user=request.user)
        except ApplicationError as error:
            messages.error(request, f"Tier not changed: {error.message}")
            return self._back_to(member)
        change = f"Assigned tier {tier_key}" if tier_key else "Removed the assigned tier"
        self.log_change(request, member, change)
        self.audit(request, action="tier_assign", obj=member, before=before, note=change,
                   after={"tier_id": member.tier_id, "tier_locked": member.tier_locked})  # fmt: skip
        messages.success(request, f"{change}. Tier now: {member.tier or '—'}.")
        return self._back_to(member)

    def voucher_cancel_view(self, request, member_id, voucher_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        member = self._member_for_action(request, member_id, "loyalty.service_vouchers")
        voucher = get_object_or_404(Voucher.objects.select_related("redemption"), pk=voucher_id, member=member)
        before = model_snapshot(voucher)
        try:
            voucher_cancel(voucher=voucher, acting_user=request.user, reason="cancelled in the admin")
        except ApplicationError as error:
            messages.error(request, f"Voucher {voucher.code} not cancelled: {error.message}")
            return self._back_to(member)
        self.log_change(request, member, f"Cancelled voucher {voucher.code}")
        voucher.refresh_from_db()
        self.audit(request, action="voucher_cancel", obj=voucher, before=before, after=model_snapshot(voucher))
        messages.success(request, f"Voucher {voucher.code} cancelled.")
        return self._back_to(member)

    def voucher_resend_view(self, request, member_id, voucher_id):
        """Email the code to the member again (the same email as when it was issued)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        member = self._member_for_action(request, member_id, "loyalty.service_vouchers")
        voucher = get_object_or_404(Voucher.objects.select_related("program", "member"), pk=voucher_id, member=member)
        try:
            key = voucher_email_resend(voucher=voucher)
        except VoucherNotResent as reason:
            messages.error(request, f"Voucher {voucher.code} not resent: {reason}")
            return self._back_to(member)
        self.log_change(request, member, f"Resent voucher {voucher.code} to {member.email}")
        self.audit(request, action="voucher_resend", obj=voucher, note=f"Emailed to {member.email}",
                   after={"notification_key": key})  # fmt: skip
        messages.success(request, f"Voucher {voucher.code} emailed again to {member.email}.")
        return self._back_to(member)

    def fulfilment_view(self, request, member_id, redemption_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        member = self._member_for_action(request, member_id, "loyalty.service_vouchers")
        redemption = get_object_or_404(Redemption.objects.select_related("reward"), pk=redemption_id, member=member)
        form = FulfilmentForm(
            {
                "fulfilment_status": request.POST.get(f"fulfilment_status_{redemption.pk}"),
                "fulfilment_note": request.POST.get(f"fulfilment_note_{redemption.pk}", ""),
            }
        )
        if not form.is_valid():
            messages.error(request, "Fulfilment not updated: choose a status.")
            return self._back_to(member)
        before = model_snapshot(redemption)
        try:
            redemption_fulfilment_update(
                redemption=redemption,
                status=form.cleaned_data["fulfilment_status"],
                note=form.cleaned_data["fulfilment_note"],
                acting_user=request.user,
            )
        except ApplicationError as error:
            messages.error(request, f"Fulfilment not updated: {error.message}")
            return self._back_to(member)
        self.log_change(request, member, f"Fulfilment of {redemption.reward.name}: {redemption.fulfilment_status}")
        redemption.refresh_from_db()
        self.audit(request, action="fulfilment_update", obj=redemption, before=before, after=model_snapshot(redemption))
        messages.success(request, f"{redemption.reward.name}: {redemption.get_fulfilment_status_display()}.")
        return self._back_to(member)


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyMixin, MerchantScopedAdmin):
    """The points ledger, read-only: corrections are new rows (adjust points on the member's page)."""

    list_display = ["created_at", "member", "kind", "points", "balance_after", "status", "source", "description",
                    "acting_user"]  # fmt: skip
    list_select_related = ["member", "acting_user"]
    list_filter = ["kind", "status", "source"]
    list_per_page = 50
    show_full_result_count = False
    paginator = CappedCountPaginator
    ordering = ["-id"]
    search_fields = ["member__customer_id"]
    search_help_text = "Exact customer id."
    actions = [export_csv]
    csv_fields = ["created_at", "member__customer_id", "kind", "points", "balance_after", "status", "source",
                  "description", "acting_user"]  # fmt: skip

    def get_search_results(self, request, queryset, search_term):
        term = clean_search_term(search_term)
        return (queryset.filter(member__customer_id=term), False) if term else (queryset, False)

    def lookup_allowed(self, lookup, value, request=None):
        # The member page links here with ?member__id__exact=<id>; scoping still applies to the rows.
        return lookup == "member__id__exact" or super().lookup_allowed(lookup, value, request)


@admin.register(Order)
class OrderAdmin(ReadOnlyMixin, MerchantScopedAdmin):
    list_display = ["order_id", "member", "subtotal", "currency", "points_awarded", "points_status", "placed_at"]
    list_select_related = ["member"]
    list_filter = ["points_status"]
    list_per_page = 50
    show_full_result_count = False
    paginator = CappedCountPaginator
    ordering = ["-id"]
    search_fields = ["order_id"]

    def get_search_results(self, request, queryset, search_term):
        term = clean_search_term(search_term)
        return (queryset.filter(order_id=term), False) if term else (queryset, False)


from members import admin_imports, admin_jobs  # noqa: E402, F401  (imports, job runs, notifications, webhooks)
