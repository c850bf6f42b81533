"""What the hot paths (every order, every API call) read of a program's configuration, cached for a few seconds.

An order needs the program's earning rules and tiers, and every server API call the program behind its key.
They change rarely (the admin, the program file) and are read thousands of times a second, so they are kept in
the cache (Django's `default`: per process with locmem, shared with Redis) for `PROGRAM_CONFIG_CACHE_SECONDS`
(default 10) and dropped at once when they are saved in this process (signals below, connected in
`LoyaltyConfig.ready`), and again when the saving transaction commits (a read in between cached the old rows).
With a per-process cache another worker sees an edit within those seconds.

Through `loyalty.local_cache`: with locmem the objects stay in this process, not unpickled on every read. A
program is handed out as a copy (API views get it as `request.program` and may change it); the configuration's
rules and tiers are shared and read-only to their callers (the order path, the member creation, the widget's
points preview: tests/loyalty/test_program_config_shared.py checks that orders leave them as they were).

Features other apps add to the order path keep their per-program flags the same way (e.g.
`members.webhooks.subscriptions`), so that a program without the feature pays no query per order.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from loyalty.local_cache import local_forget, local_get, local_set, model_copy
from loyalty.models import ApiKey, EarningRule, Program, Segment, Tier


def cache_seconds() -> int:
    return getattr(settings, "PROGRAM_CONFIG_CACHE_SECONDS", 10)


@dataclass(frozen=True)
class ProgramConfig:
    """A program's earning rules (in their order) and tiers (by rank, lowest first) at one moment."""

    program_id: int
    rules: tuple[EarningRule, ...]
    tiers: tuple[Tier, ...]

    def tier(self, tier_id: int | None) -> Tier | None:
        return next((tier for tier in self.tiers if tier.pk == tier_id), None) if tier_id else None


def _config_key(program_id: int) -> str:
    return f"program-config:{program_id}"


def program_config(program: Program) -> ProgramConfig:
    """The program's rules and tiers: from the cache, or two queries when they are not cached."""
    key = _config_key(program.pk)
    config = local_get(key)
    if config is None:
        config = ProgramConfig(
            program_id=program.pk,
            rules=tuple(EarningRule.objects.filter(program_id=program.pk).select_related("segment")),
            tiers=tuple(Tier.objects.filter(program_id=program.pk).order_by("position", "id")),
        )
        local_set(key, config, cache_seconds())
    return config


def program_config_forget(program_id: int) -> None:
    local_forget(_config_key(program_id))


# API keys → their program (loyalty.api.authentication). Keyed by the key's SHA-256, like the table.


def _key_key(key_hash: str) -> str:
    return f"api-key:{key_hash}"


def api_key_program_cached(key_hash: str, *, shared: bool = False) -> Program | None:
    """The key's program (a copy of its own for the caller), or None when not cached. `shared`: the cached object
    itself, for a caller that only reads it (the order call's front view: tests/members/api/
    test_order_front_shared_program.py checks that orders leave it as it was)."""
    program = local_get(_key_key(key_hash))
    return model_copy(program) if program is not None and not shared else program


def api_key_program_remember(key_hash: str, program: Program) -> None:
    local_set(_key_key(key_hash), model_copy(program), cache_seconds())  # not the caller's: it may change its own


def api_keys_forget(*key_hashes: str) -> None:
    """Revocation takes effect at once in this process (and everywhere with a shared cache)."""
    local_forget(*(_key_key(key_hash) for key_hash in key_hashes))


def _program_saved(sender, instance: Program, created: bool = False, **kwargs) -> None:
    if created:
        return  # nothing of a new program is cached yet
    program_config_forget(instance.pk)
    api_keys_forget(*ApiKey.objects.filter(program_id=instance.pk).values_list("key_hash", flat=True))


def _rule_or_tier_saved(sender, instance, **kwargs) -> None:
    program_config_forget(instance.program_id)


def _api_key_saved(sender, instance: ApiKey, **kwargs) -> None:
    api_keys_forget(instance.key_hash)


def _connect(model: type, receiver: Callable) -> None:
    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(receiver, sender=model, dispatch_uid=f"program_config_{model._meta.label}_{name}")


def connect_signals() -> None:
    _connect(Program, _program_saved)
    _connect(ApiKey, _api_key_saved)
    _connect(EarningRule, _rule_or_tier_saved)
    _connect(Tier, _rule_or_tier_saved)
    _connect(Segment, _rule_or_tier_saved)  # the rules carry their segment
