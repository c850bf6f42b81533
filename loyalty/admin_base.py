"""The merchant-scoped admin. A staff user who belongs to a merchant (`MerchantMembership`) sees, picks,
filters, autocompletes, exports and saves only that merchant's rows; superusers see every merchant.
A staff user without a membership sees nothing. Every admin of merchant data subclasses
`MerchantScopedAdmin` (or the scoped inlines); `tests/admin/test_tenancy.py` checks that they all do.

How a row belongs to a merchant is found from its foreign keys (`merchant`, `program`, `member`, …),
see `merchant_lookup`; an admin may name the path itself with `merchant_lookup = "order__program__merchant"`.
"""

import csv
import logging

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet, URLField
from django.http import StreamingHttpResponse

from loyalty.models import Merchant, MerchantMembership, Program
from loyalty.services.audit import audit_record, model_snapshot

logger = logging.getLogger(__name__)

EXPORT_CHUNK = 2000
# Django 6 makes https the scheme of a URL typed without one; say so now (and silence the deprecation warning).
HTTPS_URLS = {"assume_scheme": "https"}


def https_url_formfield(db_field, **kwargs):
    """`formfield_callback` of the merchant forms: URL fields assume https when the scheme is left out."""
    if isinstance(db_field, URLField):
        kwargs = {**HTTPS_URLS, **kwargs}
    return db_field.formfield(**kwargs)


_MERCHANT_APPS = {"loyalty", "members", "rewards", "referrals"}
# Foreign keys that lead to a merchant, tried in this order, with the path from the target on.
_PATHS_THROUGH = (("merchant", Merchant, ""), ("program", Program, "__merchant"))


def merchant_lookup(model: type[Model]) -> str | None:
    """The ORM path from `model` to its merchant's id, or None when the model belongs to no merchant."""
    if model is Merchant:
        return "pk"
    if model is get_user_model():
        return "merchant_membership__merchant"
    relations = {f.name: f.related_model for f in model._meta.get_fields() if f.many_to_one or f.one_to_one}
    for name, target, rest in _PATHS_THROUGH:
        if relations.get(name) is target:
            return f"{name}{rest}"
    for name, target in relations.items():
        # Rows hanging off a member, an order, a reward… : follow that row's own path.
        if target is not None and target is not model and target._meta.app_label in _MERCHANT_APPS:
            inner = merchant_lookup(target)
            if inner and inner != "pk":
                return f"{name}__{inner}"
    return None


def request_merchant_id(request) -> int | None:
    """The merchant the staff user works for (cached on the request); None for superusers and strangers."""
    if not hasattr(request, "_merchant_id"):
        user = request.user
        request._merchant_id = (
            None
            if user.is_superuser or not user.is_authenticated
            else MerchantMembership.objects.filter(user=user).values_list("merchant_id", flat=True).first()
        )
    return request._merchant_id


def is_merchant_staff(request) -> bool:
    return request_merchant_id(request) is not None


def scope_queryset(queryset: QuerySet, request, lookup: str | None = None) -> QuerySet:
    """`queryset` narrowed to the user's merchant: all of it for superusers, nothing for staff of no merchant
    or for models that belong to no merchant."""
    if request.user.is_superuser:
        return queryset
    merchant_id = request_merchant_id(request)
    lookup = lookup or merchant_lookup(queryset.model)
    if merchant_id is None or lookup is None:
        return queryset.none()
    if lookup == "program__merchant":
        # The program ids as literals, not a join: the planner then uses the (program, …) indexes.
        return queryset.filter(program_id__in=request_program_ids(request))
    return queryset.filter(**{lookup: merchant_id})


def request_program_ids(request) -> list[int]:
    """The ids of the user's merchant's programs (cached on the request)."""
    if not hasattr(request, "_program_ids"):
        request._program_ids = list(
            Program.objects.filter(merchant_id=request_merchant_id(request)).values_list("id", flat=True)
        )
    return request._program_ids


def object_merchant_id(obj: Model, lookup: str) -> int | None:
    """Walk `lookup` ("program__merchant") on an unsaved or saved object to its merchant id."""
    if lookup == "pk":
        return obj.pk
    *path, last = lookup.split("__")
    for name in path:
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id", None)


def clean_search_term(term: str) -> str:
    """A search box value the database accepts: PostgreSQL refuses NUL characters in text (a 500 otherwise)."""
    return term.replace("\x00", "").strip()[:200]


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-field filter whose choices are the user's merchant's rows only (the stock one lists every
    merchant's programs and tiers by name)."""

    def field_choices(self, field, request, model_admin):
        queryset = scope_queryset(field.related_model._default_manager.all(), request)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class _ScopedFormFieldsMixin:
    """Foreign-key and many-to-many choices (selects, autocompletes, raw ids) limited to the merchant; URLs
    typed without a scheme are https."""

    formfield_overrides = {URLField: HTTPS_URLS}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = scope_queryset(formfield.queryset, request)
        return formfield

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = scope_queryset(formfield.queryset, request)
        return formfield


class _ScopedPermissionsMixin:
    """Staff who belong to no merchant get nothing, whatever their permissions say."""

    def _may_enter(self, request) -> bool:
        return request.user.is_superuser or is_merchant_staff(request)

    def has_module_permission(self, request):
        return self._may_enter(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._may_enter(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self._may_enter(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._may_enter(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_enter(request) and super().has_delete_permission(request, obj)


class MerchantScopedAdmin(_ScopedPermissionsMixin, _ScopedFormFieldsMixin, admin.ModelAdmin):
    """Base of every admin of merchant data. Merchant staff never see or pick the `merchant` field: rows are
    saved into their merchant. Relation filters in `list_filter` are scoped automatically."""

    merchant_lookup: str | None = None

    def get_merchant_lookup(self) -> str | None:
        return self.merchant_lookup or merchant_lookup(self.model)

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request, self.get_merchant_lookup())

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, clean_search_term(search_term))

    def get_list_filter(self, request):
        return [self._scoped_filter(entry) for entry in super().get_list_filter(request)]

    def _scoped_filter(self, entry):
        if isinstance(entry, str) and "__" not in entry:
            field = self.model._meta.get_field(entry)
            if field.is_relation:
                return (entry, ScopedRelatedFieldListFilter)
        return entry

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser and self.get_merchant_lookup() == "merchant":
            exclude.append("merchant")
        return exclude

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or self.get_merchant_lookup() != "merchant":
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "merchant"]})
            for name, options in fieldsets
        ]

    def save_model(self, request, obj, form, change):
        self.assert_in_scope(request, obj)
        before = stored_snapshot(obj) if change else None
        super().save_model(request, obj, form, change)
        self.audit(request, action=_action(obj, "change" if change else "add"), obj=obj, before=before,
                   after=model_snapshot(obj))  # fmt: skip

    def delete_model(self, request, obj):
        before, pk = model_snapshot(obj), str(obj.pk)
        super().delete_model(request, obj)
        self.audit(request, action=_action(obj, "delete"), obj=obj, before=before, object_id=pk)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.audit(request, action=_action(obj, "delete"), obj=obj, before=model_snapshot(obj))
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        """Inline rows (earning rules, tiers, rewards on the program page) are audited one by one."""
        touched = [f.instance for f in formset.initial_forms if f.instance.pk and f.has_changed()]
        touched += [f.instance for f in formset.deleted_forms if f.instance.pk]
        stored = {
            o.pk: model_snapshot(o) for o in formset.model._default_manager.filter(pk__in=[o.pk for o in touched])
        }
        deleted_pks = {id(f.instance): f.instance.pk for f in formset.deleted_forms if f.instance.pk}
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            self.audit(request, action=_action(obj, "add"), obj=obj, after=model_snapshot(obj))
        for obj, _fields in formset.changed_objects:
            self.audit(request, action=_action(obj, "change"), obj=obj, before=stored.get(obj.pk),
                       after=model_snapshot(obj))  # fmt: skip
        for obj in formset.deleted_objects:
            pk = deleted_pks.get(id(obj))
            self.audit(request, action=_action(obj, "delete"), obj=obj, before=stored.get(pk), object_id=str(pk))

    def audit(self, request, *, action: str, obj, before=None, after=None, note: str = "", object_id=None) -> None:
        """Log a change made by this admin's user, in the merchant the row belongs to."""
        lookup = merchant_lookup(type(obj)) or self.get_merchant_lookup()
        merchant_id = (object_merchant_id(obj, lookup) if lookup else None) or request_merchant_id(request)
        if merchant_id is None:
            return
        audit_record(merchant_id=merchant_id, action=action, actor=request.user, obj=obj, before=before,
                     after=after, note=note, object_id=object_id)  # fmt: skip

    def assert_in_scope(self, request, obj) -> None:
        """Put a new row of a merchant-owned model into the user's merchant, and refuse any row of another."""
        if request.user.is_superuser:
            return
        lookup = self.get_merchant_lookup()
        merchant_id = request_merchant_id(request)
        if lookup == "merchant" and obj.merchant_id is None:
            obj.merchant_id = merchant_id
        if merchant_id is None or lookup is None or object_merchant_id(obj, lookup) != merchant_id:
            raise PermissionDenied


def stored_snapshot(obj):
    """The row as the database holds it now (before a save overwrites it)."""
    stored = type(obj)._default_manager.filter(pk=obj.pk).first()
    return model_snapshot(stored) if stored is not None else None


def _action(obj, verb: str) -> str:
    return f"{obj._meta.model_name}_{verb}"


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value):
        return value


def queryset_in_pk_chunks(queryset, size: int = EXPORT_CHUNK):
    """Rows in primary-key order, one bounded query per chunk (keyset pagination: no OFFSET, no big cursor)."""
    last_pk = None
    while True:
        chunk = queryset.order_by("pk")
        if last_pk is not None:
            chunk = chunk.filter(pk__gt=last_pk)
        rows = list(chunk[:size])
        yield from rows
        if len(rows) < size:
            return
        last_pk = rows[-1].pk


@admin.action(description="Export selected as CSV", permissions=["view"])
def export_csv(model_admin, request, queryset):
    """Stream the selected rows (always within the user's merchant: the queryset comes from the scoped
    changelist) as CSV, columns from the admin's `csv_fields`."""
    fields = model_admin.csv_fields
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(fields)
        for row in queryset_in_pk_chunks(queryset):
            yield writer.writerow([_csv_value(row, name) for name in fields])

    logger.info("admin csv export model=%s user_id=%s", model_admin.opts.label, request.user.pk)
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{model_admin.opts.model_name}s.csv"'
    return response


def _csv_value(row, name: str):
    value = row
    for part in name.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return ""
    text = str(value)
    # A cell starting with = + - @ is run as a formula by spreadsheets: quote it (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class _ScopedInlineMixin(_ScopedPermissionsMixin, _ScopedFormFieldsMixin):
    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request)


class ScopedTabularInline(_ScopedInlineMixin, admin.TabularInline):
    pass


class ScopedStackedInline(_ScopedInlineMixin, admin.StackedInline):
    pass


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """For rows above the merchants (merchants themselves, staff memberships): superusers only."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class ReadOnlyMixin:
    """Records written only by services (the ledger, tier history): viewable, never edited in the admin."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
