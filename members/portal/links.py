"""Links into the portal that other parts of the platform hand out (the widget, emails)."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse

from loyalty.digests import sso_signature
from loyalty.models import Program
from members.models import Member

UNSUBSCRIBE_SALT = "portal-unsubscribe"


def portal_sign_on_url(*, program: Program, customer_id: str, timestamp: int | None = None) -> str:
    """A single sign-on link for a shopper the shop has already identified (e.g. the widget's `/me`, whose
    request carried a valid digest): absolute, signed with the shopper's widget digest, good for five minutes."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    query = urlencode({"customer": customer_id, "ts": timestamp, "sig": sso_signature(program, customer_id, timestamp)})
    return settings.SITE_URL.rstrip("/") + reverse("portal:sso", kwargs={"slug": program.slug}) + "?" + query


def unsubscribe_token(member: Member) -> str:
    """For program emails: `/p/{slug}/unsubscribe/{token}/` turns them off without signing in (no expiry)."""
    return signing.dumps([member.program_id, member.pk], salt=UNSUBSCRIBE_SALT)
