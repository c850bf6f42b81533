"""Password-less sign-in by email. The link carries a random token; only its SHA-256 is stored. Spending it
is one conditional UPDATE, so a link works once even when two tabs open it at the same moment, and never
after `expires_at`. Sending is rate-limited per address and per client, and the email goes out after commit."""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from loyalty.models import Program
from members.models import MagicLink, Member
from members.portal.access import color

logger = logging.getLogger(__name__)

LINK_LIFETIME = timedelta(minutes=15)
LINKS_PER_ADDRESS = 3  # per LIMIT_WINDOW
LINKS_PER_CLIENT = 20
LIMIT_WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True)
class SignInRequest:
    allowed: bool  # False: rate limited
    sent: bool  # whether a link went out (never shown to the visitor: it would tell who is a member)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _within_limit(key: str, limit: int) -> bool:
    cache.add(key, 0, timeout=LIMIT_WINDOW_SECONDS)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr
        return True


def magic_link_request(*, program: Program, email: str, client: str, language: str) -> SignInRequest:
    """Email a sign-in link to the program's member with this address, if there is one. The answer is the
    same either way, so the form cannot be used to find out who is a member."""
    address = email.strip().lower()
    if not _within_limit(f"portal-link:ip:{program.pk}:{client}", LINKS_PER_CLIENT):
        return SignInRequest(allowed=False, sent=False)
    address_key = hashlib.sha256(address.encode()).hexdigest()
    if not _within_limit(f"portal-link:email:{program.pk}:{address_key}", LINKS_PER_ADDRESS):
        return SignInRequest(allowed=False, sent=False)
    member = Member.objects.filter(program=program, email__iexact=address).order_by("id").first()
    if member is None:
        logger.info("portal sign-in link not sent: no member program=%s", program.slug)
        return SignInRequest(allowed=True, sent=False)
    token = magic_link_issue(member=member)
    url = settings.SITE_URL.rstrip("/") + reverse("portal:magic-link", kwargs={"slug": program.slug, "token": token})
    transaction.on_commit(lambda: _send(member=member, program=program, url=url, language=language))
    return SignInRequest(allowed=True, sent=True)


def magic_link_issue(*, member: Member, at: datetime | None = None) -> str:
    """A new sign-in token for `member` (the raw token: put it in the link, it is stored only hashed)."""
    at = at or timezone.now()
    token = secrets.token_urlsafe(32)
    MagicLink.objects.create(
        program_id=member.program_id,
        member=member,
        token_hash=_token_hash(token),
        created_at=at,
        expires_at=at + LINK_LIFETIME,
    )
    logger.info("portal sign-in link issued program_id=%s member_id=%s", member.program_id, member.pk)
    return token


def magic_link_spend(*, program: Program, token: str, at: datetime | None = None) -> Member | None:
    """The member the link signs in, spending it; None for an unknown, used, expired or other program's link."""
    at = at or timezone.now()
    if not token or len(token) > 100:
        return None
    links = MagicLink.objects.filter(program=program, token_hash=_token_hash(token))
    if not links.filter(used_at__isnull=True, expires_at__gt=at).update(used_at=at):
        logger.info("portal sign-in link refused program=%s", program.slug)
        return None
    return Member.objects.get(pk=links.values("member_id")[:1])


def _send(*, member: Member, program: Program, url: str, language: str) -> None:
    with translation.override(language):
        context = {
            "program": program,
            "member": member,
            "url": url,
            "minutes": int(LINK_LIFETIME.total_seconds() // 60),
            "button_color": color(program.primary_color, "#0a7d5a"),
            "LANGUAGE_CODE": language,
            "LANGUAGE_BIDI": translation.get_language_bidi(),
        }
        subject = render_to_string("portal/email/sign_in_subject.txt", context).strip()
        text = render_to_string("portal/email/sign_in.txt", context)
        html = render_to_string("portal/email/sign_in.html", context)
    send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [member.email], html_message=html)
    logger.info("portal sign-in link emailed program=%s member_id=%s", program.slug, member.pk)
