"""Which events a program's endpoints take, cached so that the hot paths (orders, events, redemptions) pay no
query for a program without endpoints.

The set of event names of a program's active endpoints is kept through `loyalty.local_cache` (with locmem: the
frozenset itself, not unpickled on every order) for `PROGRAM_CONFIG_CACHE_SECONDS` (default 10), as the program's
configuration is (`loyalty.program_config`), and dropped at once when an endpoint is saved or deleted in this
process and again when that transaction commits (signals below, connected by `MembersConfig.ready`): a read in
between cached the rows as they were. With a per-process cache (locmem) another worker sees an edit within those
seconds: a new endpoint starts receiving events at most that late."""

from django.db.models.signals import post_delete, post_save

from loyalty.local_cache import local_forget, local_get, local_set
from loyalty.program_config import cache_seconds
from members.job_models import WebhookEndpoint


def _key(program_id: int) -> str:
    return f"webhook-events:{program_id}"


def webhook_events_subscribed(program_id: int) -> frozenset[str]:
    """Event names at least one active endpoint of the program takes: from the cache, or one query. Shared by
    every caller (immutable)."""
    key = _key(program_id)
    events = local_get(key)
    if events is None:
        rows = WebhookEndpoint.objects.filter(program_id=program_id, active=True).values_list("events", flat=True)
        events = frozenset(name for names in rows for name in names)
        local_set(key, events, cache_seconds())
    return events


def webhook_events_forget(program_id: int) -> None:
    local_forget(_key(program_id))


def _endpoint_changed(sender, instance: WebhookEndpoint, **kwargs) -> None:
    webhook_events_forget(instance.program_id)


def connect_signals() -> None:
    post_save.connect(_endpoint_changed, sender=WebhookEndpoint, dispatch_uid="webhook_endpoint_saved")
    post_delete.connect(_endpoint_changed, sender=WebhookEndpoint, dispatch_uid="webhook_endpoint_deleted")
