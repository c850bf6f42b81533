"""The audit log of merchant actions that change money, points or configuration (`AuditEntry`).
Written by the admin (saves, deletes, inline edits, member service actions, imports); the entry commits or
rolls back with the change it describes, because it is written in the same transaction."""

import json
import logging

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model

from loyalty.models import AuditEntry, Program

logger = logging.getLogger(__name__)

# Credentials never go into the log, not even hashed: only that they changed.
SECRET_FIELDS = {"digest_secret", "webhook_secret", "key_hash", "secret", "password"}
MASK = "•••"


def model_snapshot(obj: Model) -> dict:
    """The row's concrete fields as JSON-safe values (foreign keys as ids, secrets masked)."""
    data = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        data[field.attname] = MASK if field.name in SECRET_FIELDS and value else value
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def snapshot_diff(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Only the fields that changed, on both sides (whole rows for additions and deletions)."""
    if before is None or after is None:
        return before, after
    keys = [*before, *(key for key in after if key not in before)]
    changed = [key for key in keys if before.get(key) != after.get(key)]
    return {k: before[k] for k in changed if k in before}, {k: after[k] for k in changed if k in after}


def _program_id(obj: Model | None) -> int | None:
    if isinstance(obj, Program):
        return obj.pk
    return getattr(obj, "program_id", None)


def audit_record(
    *,
    merchant_id: int,
    action: str,
    actor=None,
    obj: Model | None = None,
    program_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
    object_id: str | None = None,
) -> AuditEntry | None:
    """Insert one audit entry. A change that changed nothing (same before and after) is not logged."""
    before, after = snapshot_diff(before, after)
    if before == {} and after == {}:
        return None
    entry = AuditEntry.objects.create(
        merchant_id=merchant_id,
        program_id=program_id or _program_id(obj),
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=object_id or (str(obj.pk) if obj is not None and obj.pk is not None else ""),
        object_repr=str(obj)[:200] if obj is not None else "",
        before=before,
        after=after,
        note=note[:500],
    )
    logger.info(
        "audit entry merchant_id=%s action=%s object=%s#%s actor_id=%s",
        merchant_id,
        action,
        entry.object_type,
        entry.object_id,
        entry.actor_id,
    )
    return entry
