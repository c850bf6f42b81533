"""Rotating a program's storefront secrets (widget digest, incoming webhooks). The new secret replaces
the old one at once: the shop must be updated with it, so the admin shows it to the merchant."""

import logging
import secrets

from loyalty.models import Program

logger = logging.getLogger(__name__)

ROTATABLE_SECRETS = ("digest_secret", "webhook_secret")


def program_secret_rotate(*, program: Program, secret: str) -> str:
    if secret not in ROTATABLE_SECRETS:
        raise ValueError(f"unknown secret {secret!r}")
    value = secrets.token_urlsafe(32)
    Program.objects.filter(pk=program.pk).update(**{secret: value})
    setattr(program, secret, value)
    logger.info("program secret rotated program_id=%s secret=%s", program.pk, secret)
    return value
