"""Merchant admin of donations: causes (configuration), the donations and payouts (records, read-only), and the
totals page (`Causes › Totals`): points, money and donors per cause over a date range, as a table or a CSV for
payment, with "mark as paid out" per cause (audited, `donations.add_donationpayout`)."""

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from donations.models import Cause, Donation, DonationPayout
from donations.selectors import cause_totals
from donations.services.payouts import donation_payout_record
from loyalty.admin_base import MerchantScopedAdmin, ReadOnlyMixin, export_csv, scope_queryset
from loyalty.errors import ApplicationError

TOTALS_COLUMNS = [
    "cause",
    "program",
    "currency",
    "points",
    "value",
    "donors",
    "donations",
    "unpaid_points",
    "unpaid_value",
]


@dataclass(frozen=True)
class Period:
    """Whole days in UTC, both included: [start, end + 1 day)."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=UTC)


def totals_period(params) -> tuple[Period, str]:
    """The `from`/`to` dates of the request (this month so far by default) and an error to show, if any."""
    today = timezone.now().date()
    default = Period(first=today.replace(day=1), last=today)
    try:
        first = date.fromisoformat(params["from"]) if params.get("from") else default.first
        last = date.fromisoformat(params["to"]) if params.get("to") else default.last
    except ValueError:
        return default, "Dates are YYYY-MM-DD: showing this month."
    if last < first:
        return default, "The period ends before it starts: showing this month."
    return Period(first=first, last=last), ""


@admin.register(Cause)
class CauseAdmin(MerchantScopedAdmin):
    list_display = ["name", "program", "active", "goal_points", "min_points", "max_points", "raised_points"]
    list_filter = ["program", "active"]
    search_fields = ["name"]
    ordering = ["program", "position", "id"]
    fields = ["program", "name", "description", "image_url", "active", "goal_points", "min_points", "max_points",
              "position"]  # fmt: skip
    change_list_template = "admin/donations/cause/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("program").annotate(raised=Sum("donations__points"))

    @admin.display(description="Points given", ordering="raised")
    def raised_points(self, obj):
        return obj.raised or 0

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("totals/", view(self.totals_view), name="donations_cause_totals"),
            path("totals.csv", view(self.totals_csv_view), name="donations_cause_totals_csv"),
            path("<int:cause_id>/payout/", view(require_POST(self.payout_view)), name="donations_cause_payout"),
            *super().get_urls(),
        ]

    def _totals(self, request, period: Period):
        causes = scope_queryset(Cause.objects.select_related("program"), request).order_by("program", "position", "id")
        return cause_totals(causes, start=period.start, end=period.end)

    def totals_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        period, error = totals_period(request.GET)
        if error:
            messages.error(request, error)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Donations per cause",
            "period": period,
            "rows": self._totals(request, period),
            "may_pay": request.user.has_perm("donations.add_donationpayout"),
            "query": f"from={period.first.isoformat()}&to={period.last.isoformat()}",
        }
        return TemplateResponse(request, "admin/donations/cause/totals.html", context)

    def totals_csv_view(self, request):
        """What to pay each cause for the period: one row per cause, money in the program's currency."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        period, _error = totals_period(request.GET)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="donations-{period.first}-{period.last}.csv"'
        writer = csv.writer(response)
        writer.writerow(TOTALS_COLUMNS)
        for cause in self._totals(request, period):
            writer.writerow([
                _safe_cell(cause.name), cause.program.slug, cause.program.currency, cause.points, _money(cause.value),
                cause.donors, cause.donations_count, cause.unpaid_points, _money(cause.unpaid_value),
            ])  # fmt: skip
        return response

    def payout_view(self, request, cause_id: int):
        """Mark the cause's unpaid donations of the period as paid out (audited)."""
        if not request.user.has_perm("donations.add_donationpayout"):
            raise PermissionDenied
        cause = scope_queryset(Cause.objects.select_related("program"), request).filter(pk=cause_id).first()
        if cause is None:
            raise PermissionDenied
        period, error = totals_period(request.POST)
        back = reverse("admin:donations_cause_totals") + f"?from={period.first}&to={period.last}"
        if error:
            messages.error(request, error)
            return redirect(back)
        try:
            payout = donation_payout_record(
                cause=cause,
                start=period.start,
                end=period.end,
                reference=request.POST.get("reference", "").replace("\x00", "")[:200],
                acting_user=request.user,
            )
        except ApplicationError as refusal:
            messages.error(request, refusal.message)
            return redirect(back)
        messages.success(
            request, f"{cause.name}: {payout.donations_count} donations ({payout.points} points, {payout.value}) paid."
        )
        return redirect(back)


def _money(value) -> Decimal:
    """Sums come back from SQLite with float noise: two places, as paid."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _safe_cell(text: str) -> str:
    """A cell starting with = + - @ is run as a formula by spreadsheets: quote it (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@admin.register(Donation)
class DonationAdmin(ReadOnlyMixin, MerchantScopedAdmin):
    list_display = ["created_at", "member", "cause", "points", "value", "payout"]
    list_filter = ["cause", ("payout", admin.EmptyFieldListFilter)]
    list_select_related = ["member", "cause", "payout"]
    search_fields = ["=member__customer_id", "member__email"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    actions = [export_csv]
    csv_fields = ["created_at", "member__customer_id", "cause__name", "points", "value", "payout_id"]


@admin.register(DonationPayout)
class DonationPayoutAdmin(ReadOnlyMixin, MerchantScopedAdmin):
    list_display = ["created_at", "cause", "period_start", "period_end", "points", "value", "donations_count",
                    "reference", "acting_user"]  # fmt: skip
    list_filter = ["cause"]
    list_select_related = ["cause", "acting_user"]
    ordering = ["-created_at", "-id"]
