"""The segment admin: a JSON conditions editor validated line by line (with the vocabulary shown beside it), a live
count of the members the conditions match (one SQL count, refreshed by a small fetch while typing) and a streaming
CSV export of the segment's members. Merchant-scoped like every admin (`MerchantScopedAdmin`)."""

import csv
import json
import logging

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from loyalty.admin_base import MerchantScopedAdmin, _csv_value, _Echo, queryset_in_pk_chunks, scope_queryset
from loyalty.models import Program, Segment, Tier
from loyalty.segment_conditions import ConditionError, conditions_validate, operator_help
from members.segments import segment_count, segment_members

logger = logging.getLogger(__name__)

EXPORT_FIELDS = ["customer_id", "email", "first_name", "last_name", "tier__key", "points_balance", "lifetime_points",
                 "lifetime_spend", "orders_count", "rfm_recency", "rfm_frequency", "rfm_monetary", "created_at"]  # fmt: skip
CONDITIONS_EXAMPLE = [
    {"field": "tier", "operator": "in", "value": ["gold"]},
    {"field": "orders_in_last_days", "days": 90, "operator": "gte", "value": 1},
    {"field": "attributes.plan", "operator": "eq", "value": "pro"},
]


class SegmentForm(forms.ModelForm):
    conditions = forms.JSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80, "spellcheck": "false", "class": "vLargeTextField"}),
        help_text="A list of {field, operator, value} objects; the table below lists the fields and operators. "
        "Example: " + json.dumps(CONDITIONS_EXAMPLE),
    )

    class Meta:
        model = Segment
        fields = ["program", "key", "name", "description", "match", "conditions"]

    def clean_conditions(self):
        return self.cleaned_data.get("conditions") or []


@admin.register(Segment)
class SegmentAdmin(MerchantScopedAdmin):
    """Merchant-defined groups of members; earning rules and rewards may be limited to one."""

    form = SegmentForm
    change_form_template = "admin/loyalty/segment/change_form.html"
    list_display = ["name", "key", "program", "match", "updated_at"]
    list_select_related = ["program"]
    list_filter = ["program", "match"]
    search_fields = ["name", "key"]
    show_full_result_count = False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("preview/", view(require_POST(self.preview_view)), name="loyalty_segment_preview"),
            path("<int:segment_id>/export.csv", view(self.export_view), name="loyalty_segment_export"),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "condition_fields": operator_help(),
            "preview_url": reverse("admin:loyalty_segment_preview"),
            "export_url": reverse("admin:loyalty_segment_export", args=[object_id]) if object_id else None,
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def preview_view(self, request):
        """`{count}` of the members the posted (unsaved) program, match and conditions select, or
        `{errors: [...]}`: one line per problem, the same lines saving would show."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        program = scope_queryset(Program.objects.all(), request).filter(pk=_int_or_none(request.POST.get("program")))
        program = program.first()
        if program is None:
            return JsonResponse({"errors": ["Choose the program first."]}, status=400)
        try:
            raw = json.loads(request.POST.get("conditions") or "[]")
            tier_keys = set(Tier.objects.filter(program=program).values_list("key", flat=True))
            conditions = conditions_validate(raw, tier_keys=tier_keys)
        except json.JSONDecodeError as exc:
            return JsonResponse({"errors": [f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."]},
                                status=400)  # fmt: skip
        except ConditionError as exc:
            return JsonResponse({"errors": exc.problems}, status=400)
        match = request.POST.get("match") if request.POST.get("match") in ("all", "any") else "all"
        draft = Segment(program=program, match=match, conditions=conditions)
        return JsonResponse({"count": segment_count(draft)})

    def export_view(self, request, segment_id):
        """The segment's members as CSV, streamed in primary-key chunks (bounded memory at any size)."""
        segment = self.get_object(request, str(segment_id))
        if segment is None:
            raise Http404
        if not self.has_view_permission(request, segment):
            raise PermissionDenied
        members = segment_members(segment).select_related("tier")
        writer = csv.writer(_Echo())

        def lines():
            yield writer.writerow(EXPORT_FIELDS)
            for member in queryset_in_pk_chunks(members):
                yield writer.writerow([_csv_value(member, name) for name in EXPORT_FIELDS])

        logger.info("segment export segment_id=%s user_id=%s", segment.pk, request.user.pk)
        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="segment-{segment.key}.csv"'
        return response


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
