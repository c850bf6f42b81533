"""`/r/{code}`: the referral landing page a member shares, and the friend's claim (POST `/r/{code}/claim`).
Rendered in the program's language (`?lang=` overrides it) and branding."""

import logging
import re
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET, require_POST

from loyalty.errors import ApplicationError
from members.models import Member
from referrals.choices import ReferralStatus
from referrals.selectors import referrer_get_by_code
from referrals.services.referrals import referral_claim
from referrals.services.rewards import reward_describe, reward_spec
from referrals.services.signals import Signals

logger = logging.getLogger(__name__)

_COLOR = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")
_LANGUAGES = {code for code, _name in settings.LANGUAGES}
CLAIMS_PER_IP_PER_HOUR = 20


@require_GET
def referral_landing(request, code: str):
    referrer = _referrer_or_404(code)
    return _render(request, referrer, outcome=None)


@require_POST
def referral_claim_submit(request, code: str):
    referrer = _referrer_or_404(code)
    ip = request.META.get("REMOTE_ADDR") or None
    if not _claim_allowed(ip):
        return _render(request, referrer, outcome="throttled", status=429)
    signals = Signals(ip_address=ip, device_fingerprint=request.POST.get("device", "")[:128])
    try:
        result = referral_claim(referrer=referrer, email=request.POST.get("email", "")[:254], signals=signals)
    except ApplicationError:
        return _render(request, referrer, outcome="invalid", email=request.POST.get("email", "")[:254], status=400)
    referral = result.referral
    # The page never says why a claim was refused (that would teach the fraud checks) nor shows a code
    # (anyone can type any email): the reward lands in the friend's account.
    if not result.created or referral.status == ReferralStatus.BLOCKED:
        outcome = "refused"
    elif referral.status == ReferralStatus.CLAIMED:
        outcome = "claimed"
    else:
        outcome = "rewarded"
    return _render(request, referrer, outcome=outcome)


def _referrer_or_404(code: str) -> Member:
    referrer = referrer_get_by_code(code=code)
    if referrer is None:
        raise Http404("No such referral link.")
    return referrer


def _claim_allowed(ip: str | None) -> bool:
    key = f"referral-claims:{ip or '-'}"
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key) <= CLAIMS_PER_IP_PER_HOUR
    except ValueError:  # expired between add and incr
        return True


def _language(request, program) -> str:
    wanted = request.GET.get("lang") or program.locale or settings.LANGUAGE_CODE
    wanted = wanted.split("-")[0].lower()
    return wanted if wanted in _LANGUAGES else settings.LANGUAGE_CODE


def _render(request, referrer: Member, *, outcome: str | None, email: str = "", status: int = 200):
    program = referrer.program
    language = _language(request, program)
    with translation.override(language):
        spec = reward_spec(program.friend_reward)
        context = {
            "program": program,
            "referrer_name": referrer.first_name,
            "code": referrer.referral_code,
            "offer": reward_describe(spec, program=program) if spec.is_voucher else "",
            "min_subtotal": f"{spec.min_subtotal} {program.currency}" if spec.min_subtotal else "",
            "shop_link": _shop_link(program.shop_url, referrer.referral_code),
            "primary_color": _color(program.primary_color, "#0a7d5a"),
            "accent_color": _color(program.accent_color, "#f5b700"),
            "outcome": outcome,
            "email": email,
            "lang": language,
            "rtl": translation.get_language_bidi(),
        }
        response = render(request, "referrals/landing.html", context, status=status)
    response["Content-Language"] = language
    return response


def _color(value: str, default: str) -> str:
    return value if value and _COLOR.match(value) else default


def _shop_link(shop_url: str | None, code: str) -> str:
    """The merchant's shop, carrying `?ref=CODE` so the storefront can send the code with the sign-up/order."""
    if not shop_url:
        return ""
    parts = urlsplit(shop_url)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=query + urlencode({"ref": code})))
