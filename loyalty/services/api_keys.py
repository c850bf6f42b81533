"""Issuing and revoking server API keys. The raw key is returned once and never stored."""

import secrets

from django.utils import timezone

from loyalty.models import ApiKey, Program, hash_api_key
from loyalty.program_config import api_keys_forget


def api_key_issue(*, program: Program, name: str = "default") -> tuple[ApiKey, str]:
    raw = f"sk_{program.slug[:12]}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(program=program, name=name, prefix=raw[:16], key_hash=hash_api_key(raw))
    return key, raw


def api_key_revoke(*, key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_keys_forget(key.key_hash)  # the authentication cache must not keep accepting it
