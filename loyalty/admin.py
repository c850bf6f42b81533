"""The merchant admin of the program configuration: the program page with its earning rules, bonus
campaigns, tiers, rewards, referral offer, branding (with a live preview of the widget colours), API keys
(issued and shown once, revoked) and storefront secrets (rotated and shown once).

Roles (see `loyalty.services.staff`): owners do everything; managers everything but API keys and secrets;
support only views the configuration. Superusers manage merchants and their staff."""

import csv
from datetime import date, timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

import loyalty.admin_segments  # noqa: F401  (the segment admin registers itself)
from loyalty.admin_base import (
    MerchantScopedAdmin,
    ReadOnlyMixin,
    ScopedStackedInline,
    ScopedTabularInline,
    SuperuserOnlyAdmin,
    clean_search_term,
    stored_snapshot,
)
from loyalty.admin_dashboard import REPORTS, Period, Reads, default_period, program_reports
from loyalty.admin_forms import BonusCampaignForm, EarningRuleForm, ProgramForm, RewardForm, TierForm, TierFormSet
from loyalty.choices import RuleType
from loyalty.models import ApiKey, AuditEntry, EarningRule, Merchant, MerchantMembership, Program, Tier
from loyalty.services.api_keys import api_key_issue, api_key_revoke
from loyalty.services.audit import audit_record, model_snapshot
from loyalty.services.program_secrets import ROTATABLE_SECRETS, program_secret_rotate
from loyalty.services.staff import merchant_staff_add
from rewards.models import Reward

CREDENTIALS_PERMISSION = "loyalty.manage_credentials"
MAX_DASHBOARD_DAYS = 5 * 366


def _month_param(value: str) -> date:
    """YYYY-MM (the page's month inputs) or YYYY-MM-DD (any day of the month)."""
    return date.fromisoformat(value + "-01" if len(value) == 7 else value)


def dashboard_period(program: Program, params) -> tuple[Period, str]:
    """The ?from=YYYY-MM&to=YYYY-MM range of whole months (both included; a full date stands for its month);
    the last 12 months when absent. A bad or too long range falls back to the default with a message, never a
    500."""
    period = default_period(program)
    if not params.get("from") and not params.get("to"):
        return period, ""
    try:
        start = _month_param(params.get("from") or str(period.start))
        end = _month_param(params.get("to") or str(period.end))
    except ValueError:
        return period, "Months must be YYYY-MM; showing the last 12 months."
    if start > end or end - start > timedelta(days=MAX_DASHBOARD_DAYS):
        return period, "The range must run forwards and span at most 5 years; showing the last 12 months."
    return Period.of_months(start, end, period.tz), ""


@admin.register(Merchant)
class MerchantAdmin(SuperuserOnlyAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        # A new merchant or a rename lands in that merchant's own audit log, like every other admin change.
        before = stored_snapshot(obj) if change else None
        super().save_model(request, obj, form, change)
        audit_record(merchant_id=obj.pk, action="merchant_change" if change else "merchant_add",
                     actor=request.user, obj=obj, before=before, after=model_snapshot(obj))  # fmt: skip


@admin.register(MerchantMembership)
class MerchantMembershipAdmin(SuperuserOnlyAdmin):
    list_display = ["user", "merchant", "role", "created_at"]
    list_filter = ["role"]
    list_select_related = ["user", "merchant"]
    search_fields = ["user__username", "user__email", "merchant__name"]
    autocomplete_fields = ["user", "merchant"]
    fields = ["user", "merchant", "role"]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["help_texts"] = {
            "role": "Owner: the whole program, API keys and secrets, member service. "
            "Manager: the program configuration and member service; sees API keys but cannot issue or revoke them. "
            "Support: views the program, members, ledger, vouchers and referrals; adjusts points, cancels vouchers "
            "and moves fulfilment. Nobody edits ledger rows. Saving makes the user staff and puts them in the "
            "role's permission group.",
            "user": "Staff belong to exactly one merchant and see only its rows.",
        }
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        # Through the service: the user joins the role's permission group and becomes staff.
        before = stored_snapshot(obj) if change else None
        saved = merchant_staff_add(user=obj.user, merchant=obj.merchant, role=obj.role)
        obj.pk = saved.pk
        audit_record(merchant_id=saved.merchant_id, action="staff_change" if change else "staff_add",
                     actor=request.user, obj=saved, before=before, after=model_snapshot(saved))  # fmt: skip


class ProgramChoicesInlineMixin:
    """The tier and segment selects of a program's inline rows list that program's own rows, read once per page
    (a select per row would cost a query per row)."""

    program_choice_fields = ("min_tier", "segment")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name not in self.program_choice_fields or formfield is None:
            return formfield
        program_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        # scope_queryset already narrowed the choices to the merchant; a new program has none of its own yet.
        formfield.queryset = (
            formfield.queryset.filter(program_id=program_id) if program_id else formfield.queryset.none()
        )
        formfield.choices = [("", "---------"), *((row.pk, str(row)) for row in formfield.queryset)]
        inner = getattr(formfield.widget, "widget", None)  # the admin's related-field wrapper renders this one
        if inner is not None:
            inner.choices = formfield.choices
        return formfield


class EarningRuleInline(ProgramChoicesInlineMixin, ScopedTabularInline):
    model = EarningRule
    form = EarningRuleForm
    verbose_name = "earning rule"
    verbose_name_plural = "Earning rules (sign-up, birthday, custom events, order thresholds)"
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(type=RuleType.BONUS_MULTIPLIER)


class BonusCampaignInline(ProgramChoicesInlineMixin, ScopedTabularInline):
    model = EarningRule
    form = BonusCampaignForm
    verbose_name = "bonus campaign"
    verbose_name_plural = "Bonus campaigns (orders earn × multiplier between the dates)"
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).filter(type=RuleType.BONUS_MULTIPLIER)


class TierInline(ScopedTabularInline):
    model = Tier
    form = TierForm
    formset = TierFormSet
    extra = 0


class RewardInline(ProgramChoicesInlineMixin, ScopedStackedInline):
    model = Reward
    form = RewardForm
    extra = 0
    fields = [
        ("key", "name", "type", "active"),
        ("points_cost", "value", "product_id"),
        ("variable", "max_points"),
        ("min_tier", "segment", "stock", "limit_per_member", "min_subtotal"),
        ("starts_at", "ends_at", "code_expiry_days", "position"),
        "description",
        "image_url",
    ]


class ApiKeyInline(ScopedTabularInline):
    """Keys are only listed here: they are issued (shown once) and revoked with the buttons."""

    model = ApiKey
    extra = 0
    fields = ["name", "prefix", "created_at", "revoked_at", "revoke"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="")
    def revoke(self, key):
        if key.revoked_at:
            return "revoked"
        url = reverse("admin:loyalty_program_api_key_revoke", args=[key.program_id, key.pk])
        return format_html('<button type="submit" class="button" formaction="{}">Revoke</button>', url)


@admin.register(Program)
class ProgramAdmin(MerchantScopedAdmin):
    form = ProgramForm
    change_form_template = "admin/loyalty/program/change_form.html"
    list_display = ["name", "slug", "currency", "merchant", "created_at", "dashboard_link"]
    list_select_related = ["merchant"]
    search_fields = ["name", "slug"]
    ordering = ["name", "id"]
    show_full_result_count = False
    inlines = [EarningRuleInline, BonusCampaignInline, TierInline, RewardInline, ApiKeyInline]
    readonly_fields = ["widget_preview", "public_key", "digest_secret_hint", "webhook_secret_hint"]
    fieldsets = [
        (None, {"fields": ["merchant", "name", "slug", "currency", "locale", "timezone", "shop_url", "terms_url"]}),
        (
            "Branding",
            {
                "fields": [
                    "points_name_singular",
                    "points_name_plural",
                    "primary_color",
                    "accent_color",
                    "logo_url",
                    "widget_preview",
                ]
            },
        ),
        ("Earning", {"fields": ["points_per_currency_unit", "point_value", "pending_days"]}),
        ("Tiers", {"fields": ["tier_metric", "tier_period"]}),
        ("Points expiry", {"fields": ["expiry_policy", "expiry_days", "expiry_warn_days_before"]}),
        (
            "Referral offer",
            {"fields": ["referrals_enabled", "referral_qualifying_min_subtotal", "referrer_reward", "friend_reward"]},
        ),
        (
            "Storefront",
            {
                "fields": ["public_key", "allowed_origins", "digest_secret_hint", "webhook_secret_hint"],
                "description": "API keys and secrets are shown once, when issued or rotated; only owners manage them.",
            },
        ),
    ]

    @admin.display(description="Dashboard")
    def dashboard_link(self, program):
        return format_html(
            '<a href="{}">Does it pay?</a>', reverse("admin:loyalty_program_dashboard", args=[program.pk])
        )

    @admin.display(description="Widget preview")
    def widget_preview(self, program):
        return format_html(
            '<div id="widget-preview" class="widget-preview" style="--primary:{};--accent:{}">'
            '<span class="widget-preview__launcher">★ {}</span>'
            '<span class="widget-preview__button">Redeem</span></div>',
            program.primary_color,
            program.accent_color,
            program.points_name_plural,
        )

    @admin.display(description="Widget digest secret")
    def digest_secret_hint(self, program):
        return self._secret_hint(program, "digest_secret")

    @admin.display(description="Webhook secret")
    def webhook_secret_hint(self, program):
        return self._secret_hint(program, "webhook_secret")

    def _secret_hint(self, program, secret):
        if not program.pk:
            return "—"
        url = reverse("admin:loyalty_program_secret_rotate", args=[program.pk, secret])
        return format_html(
            '…{} <button type="submit" class="button" formaction="{}">Rotate</button>',
            getattr(program, secret)[-4:],
            url,
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:program_id>/api-keys/issue/", view(self.api_key_issue_view), name="loyalty_program_api_key_issue"
            ),
            path(
                "<int:program_id>/api-keys/<int:key_id>/revoke/",
                view(self.api_key_revoke_view),
                name="loyalty_program_api_key_revoke",
            ),
            path("<int:program_id>/dashboard/", view(self.dashboard_view), name="loyalty_program_dashboard"),
            path(
                "<int:program_id>/dashboard/<slug:report>.csv",
                view(self.dashboard_csv_view),
                name="loyalty_program_dashboard_csv",
            ),
            path(
                "<int:program_id>/secrets/<str:secret>/rotate/",
                view(self.secret_rotate_view),
                name="loyalty_program_secret_rotate",
            ),
            *super().get_urls(),
        ]

    def _credentials_program(self, request, program_id) -> Program:
        """The program, if it is the user's merchant's (else 404) and they may manage credentials (else 403)."""
        program = self.get_object(request, str(program_id))
        if program is None:
            raise Http404
        if not request.user.has_perm(CREDENTIALS_PERMISSION):
            raise PermissionDenied
        return program

    def _shown_once(self, request, program, *, title, value, note):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": program,
            "title": title,
            "value": value,
            "note": note,
            "back_url": reverse("admin:loyalty_program_change", args=[program.pk]),
        }
        response = TemplateResponse(request, "admin/loyalty/program/shown_once.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def api_key_issue_view(self, request, program_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        program = self._credentials_program(request, program_id)
        name = (request.POST.get("new_api_key_name") or "").strip()[:100] or "default"
        key, raw = api_key_issue(program=program, name=name)
        self.log_change(request, program, f"Issued API key {key.prefix}… ({key.name})")
        self.audit(request, action="api_key_issue", obj=key, after=model_snapshot(key))
        return self._shown_once(
            request,
            program,
            title=f"API key “{key.name}”",
            value=raw,
            note="Copy it now: only its fingerprint is stored, it cannot be shown again.",
        )

    def api_key_revoke_view(self, request, program_id, key_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        program = self._credentials_program(request, program_id)
        key = get_object_or_404(ApiKey, pk=key_id, program=program)
        before = model_snapshot(key)
        api_key_revoke(key=key)
        key.refresh_from_db()
        self.audit(request, action="api_key_revoke", obj=key, before=before, after=model_snapshot(key))
        self.log_change(request, program, f"Revoked API key {key.prefix}… ({key.name})")
        messages.success(request, f"API key {key.prefix}… revoked: requests with it are refused from now on.")
        return HttpResponseRedirect(reverse("admin:loyalty_program_change", args=[program.pk]))

    def secret_rotate_view(self, request, program_id, secret):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if secret not in ROTATABLE_SECRETS:
            raise Http404
        program = self._credentials_program(request, program_id)
        value = program_secret_rotate(program=program, secret=secret)
        label = "Widget digest secret" if secret == "digest_secret" else "Webhook secret"
        self.log_change(request, program, f"Rotated the {label.lower()}")
        self.audit(request, action="secret_rotate", obj=program, note=f"Rotated the {label.lower()}")
        return self._shown_once(
            request,
            program,
            title=label,
            value=value,
            note="The old secret stopped working. Put this one in your shop's settings now.",
        )

    def _dashboard_program(self, request, program_id) -> Program:
        program = self.get_object(request, str(program_id))
        if program is None:
            raise Http404
        if not self.has_view_permission(request, program):
            raise PermissionDenied
        return program

    def dashboard_view(self, request, program_id):
        """The program's analytics over a date range: every report with its chart and a CSV download."""
        program = self._dashboard_program(request, program_id)
        period, error = dashboard_period(program, request.GET)
        if error:
            messages.error(request, error)
        reads = Reads(program, period)  # the "data as of" line shares the reports' read of the rollup state
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": program,
            "title": f"{program.name}: does the program pay?",
            "period": period,
            "reports": program_reports(program=program, period=period, reads=reads),
            "rollup": reads.state,
        }
        return TemplateResponse(request, "admin/loyalty/program/dashboard.html", context)

    def dashboard_csv_view(self, request, program_id, report):
        program = self._dashboard_program(request, program_id)
        if report not in REPORTS:
            raise Http404
        period, _error = dashboard_period(program, request.GET)
        built = REPORTS[report](program, period)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{program.slug}-{report}-{period.start}-{period.end}.csv"'
        )
        writer = csv.writer(response)
        writer.writerow(built.columns)
        writer.writerows(built.rows)
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_manage_credentials"] = bool(obj) and request.user.has_perm(CREDENTIALS_PERMISSION)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None or not request.user.has_perm(CREDENTIALS_PERMISSION):
            # Without the permission the rotate buttons are not offered at all.
            fields = [f for f in fields if f not in ("digest_secret_hint", "webhook_secret_hint")]
        return fields

    def get_fieldsets(self, request, obj=None):
        readonly = set(self.get_readonly_fields(request, obj))
        fieldsets = super().get_fieldsets(request, obj)
        hidden = {"widget_preview", "public_key", "digest_secret_hint", "webhook_secret_hint"} - readonly
        if obj is None:
            hidden |= {"public_key"}
        return [(name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]}) for name, opts in fieldsets]


@admin.register(Tier)
class TierAdmin(ReadOnlyMixin, MerchantScopedAdmin):
    """Tiers are edited on their program's page, where they are checked together as a ladder; this list
    serves search, filters and autocomplete."""

    list_display = ["name", "key", "program", "position", "threshold", "invite_only"]
    list_select_related = ["program"]
    list_filter = ["program", "invite_only"]
    search_fields = ["name", "key"]
    show_full_result_count = False
    fields = ["program", "key", "name", "position", "threshold", "invite_only", "multiplier", "perks"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyMixin, MerchantScopedAdmin):
    """Who changed money, points or configuration, when, from what to what. Written by the admin only."""

    list_display = ["at", "actor", "action", "object_type", "object_id", "object_repr", "program", "note"]
    list_select_related = ["actor", "program"]
    list_filter = ["action", "program"]
    list_per_page = 50
    show_full_result_count = False
    ordering = ["-at", "-id"]
    search_fields = ["object_id"]
    search_help_text = "Exact id of the row acted on."
    date_hierarchy = None
    fields = ["at", "merchant", "program", "actor", "action", "object_type", "object_id", "object_repr", "before",
              "after", "note"]  # fmt: skip
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        term = clean_search_term(search_term)
        return (queryset.filter(object_id=term), False) if term else (queryset, False)
