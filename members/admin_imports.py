"""Member imports in the admin: upload a CSV (dry run first), watch the progress, read the error report,
then run it for real. Owners and managers import (`loyalty.import_members`); every role sees the jobs."""

import csv

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from loyalty.admin_base import MerchantScopedAdmin, ReadOnlyMixin, scope_queryset
from loyalty.models import Program
from members.import_models import ImportJob, ImportJobStatus
from members.services.imports import COLUMNS, MAX_FILE_BYTES, import_job_create, import_job_start

IMPORT_PERMISSION = "loyalty.import_members"


class ImportUploadForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.none())
    file = forms.FileField(help_text=f"CSV, UTF-8, with a header line. Columns: {', '.join(COLUMNS)}.")
    dry_run = forms.BooleanField(
        required=False, initial=True, help_text="Check every row and report the errors; write nothing."
    )

    def __init__(self, *args, programs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("The file is not UTF-8 text; save it as CSV (UTF-8).") from exc


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyMixin, MerchantScopedAdmin):
    change_form_template = "admin/members/importjob/change_form.html"
    change_list_template = "admin/members/importjob/change_list.html"
    list_display = ["created_at", "program", "filename", "kind", "status", "progress", "rows_failed", "created_by"]
    list_select_related = ["program", "created_by"]
    list_filter = ["status", "dry_run"]
    ordering = ["-created_at", "-id"]
    fields = ["program", "filename", "dry_run", "status", "rows_total", "rows_done", "rows_failed",
              "members_created", "points_posted", "created_by", "created_at", "finished_at"]  # fmt: skip
    readonly_fields = fields

    @admin.display(description="Kind")
    def kind(self, job):
        return "Dry run" if job.dry_run else "Import"

    @admin.display(description="Progress")
    def progress(self, job):
        return format_html("<progress max='100' value='{}'></progress> {}/{}", job.progress_pct, job.rows_done,
                           job.rows_total)  # fmt: skip

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="members_importjob_upload"),
            path("<int:job_id>/run/", view(self.run_for_real_view), name="members_importjob_run"),
            path("<int:job_id>/errors.csv", view(self.errors_csv_view), name="members_importjob_errors"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        context = {"can_import": request.user.has_perm(IMPORT_PERMISSION), **(extra_context or {})}
        return super().changelist_view(request, context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)
        context = {**(extra_context or {}), "job": job, "can_import": request.user.has_perm(IMPORT_PERMISSION)}
        if job is not None:
            context["running"] = job.status in (ImportJobStatus.QUEUED, ImportJobStatus.RUNNING)
            context["shown_errors"] = job.errors[:200]
        return super().change_view(request, object_id, form_url, context)

    def _job(self, request, job_id) -> ImportJob:
        job = self.get_object(request, str(job_id))
        if job is None:
            raise Http404
        return job

    def upload_view(self, request):
        if not request.user.has_perm(IMPORT_PERMISSION) or not self._may_enter(request):
            raise PermissionDenied
        programs = scope_queryset(Program.objects.order_by("name"), request)
        form = ImportUploadForm(request.POST or None, request.FILES or None, programs=programs)
        if request.method == "POST" and form.is_valid():
            job = import_job_create(
                program=form.cleaned_data["program"],
                content=form.cleaned_data["file"],
                filename=request.FILES["file"].name,
                dry_run=form.cleaned_data["dry_run"],
                created_by=request.user,
            )
            return self._started(request, job)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import members from CSV",
            "form": form,
            "columns": COLUMNS,
        }
        return TemplateResponse(request, "admin/members/importjob/upload.html", context)

    def run_for_real_view(self, request, job_id):
        """Import the file of a finished dry run."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        dry = self._job(request, job_id)
        if not dry.dry_run or dry.status != ImportJobStatus.SUCCEEDED:
            messages.error(request, "Only a finished dry run can be imported.")
            return HttpResponseRedirect(reverse("admin:members_importjob_change", args=[dry.pk]))
        job = import_job_create(
            program=dry.program, content=dry.content, filename=dry.filename, dry_run=False, created_by=request.user
        )
        return self._started(request, job)

    def _started(self, request, job):
        import_job_start(job=job)
        job.refresh_from_db()
        if not job.dry_run:
            self.audit(request, action="member_import", obj=job, note=f"{job.filename}: {job.rows_total} rows",
                       after={"rows_total": job.rows_total})  # fmt: skip
        kind = "Dry run" if job.dry_run else "Import"
        messages.info(request, f"{kind} of {job.filename or 'the file'}: {job.get_status_display().lower()}.")
        return HttpResponseRedirect(reverse("admin:members_importjob_change", args=[job.pk]))

    def errors_csv_view(self, request, job_id):
        job = self._job(request, job_id)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
        writer = csv.writer(response)
        writer.writerow(["row", "field", "message"])
        for error in job.errors:
            writer.writerow([error["row"], error["field"], error["message"]])
        return response
