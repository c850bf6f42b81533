"""The portal's pages. Each one reads through the apps' selectors and writes only through their services;
every query is scoped to the member of the session, who is loaded with the program of the URL."""

import logging
import re
import secrets
import time
from datetime import timedelta

import segno
from django.contrib import messages
from django.core import signing
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from loyalty.choices import ExpiryPolicy
from loyalty.digests import sso_signature_valid
from loyalty.errors import ApplicationError
from members.choices import TransactionStatus
from members.models import Member, Transaction
from members.portal import forms
from members.portal.access import color, portal_page, portal_sign_in, portal_sign_out
from members.portal.links import UNSUBSCRIBE_SALT
from members.portal.magic_links import magic_link_request, magic_link_spend
from members.portal.presenters import (
    catalog_entries,
    earn_rate_words,
    points_text,
    rule_words,
    transaction_words,
)
from members.portal.services import member_profile_update
from members.tier_selectors import member_tier_progress, tier_list
from referrals.selectors import referral_stats, referral_url
from rewards.selectors import reward_get, reward_list, rewards_offered, voucher_list
from rewards.services.redemptions import reward_redeem

logger = logging.getLogger(__name__)

HISTORY_PAGE_SIZE = 25
VOUCHERS_SHOWN = 50
SSO_MAX_AGE_SECONDS = 5 * 60


def _render(request, template: str, program, member, context: dict, status: int = 200):
    base = {
        "program": program,
        "member": member,
        "primary_color": color(program.primary_color, "#0a7d5a"),
        "accent_color": color(program.accent_color, "#f5b700"),
        "lang": request.portal_language,
        "rtl": translation.get_language_bidi(),
        "page": template.rsplit("/", 1)[-1].removesuffix(".html").replace("_", "-"),
    }
    return render(request, template, {**base, **context}, status=status)


def _url(name: str, program, **kwargs) -> str:
    return reverse(f"portal:{name}", kwargs={"slug": program.slug, **kwargs})


# Landing page and sign-in


@portal_page(signed_in=False)
def landing(request, program, member):
    rules = [rule_words(rule, program) for rule in program.earning_rules.filter(active=True)]
    context = {
        "earn_rate": earn_rate_words(program) if program.points_per_currency_unit else "",
        "ways_to_earn": [words for words in rules if words],
        "rewards": rewards_offered(reward_list(program=program), member=member),
        "tiers": tier_list(program_id=program.pk),
    }
    return _render(request, "portal/landing.html", program, member, context)


@require_http_methods(["GET", "POST"])
@portal_page(signed_in=False)
def sign_in(request, program, member):
    if member is not None:
        return redirect(_url("dashboard", program))
    form = forms.SignInForm(request.POST or None)
    outcome, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            result = magic_link_request(
                program=program,
                email=form.cleaned_data["email"],
                client=request.META.get("REMOTE_ADDR") or "-",
                language=request.portal_language,
            )
            outcome, status = ("sent", 200) if result.allowed else ("throttled", 429)
        else:
            status = 400
    return _render(request, "portal/sign_in.html", program, member, {"form": form, "outcome": outcome}, status)


@require_http_methods(["GET", "POST"])
@portal_page(signed_in=False)
def magic_link(request, program, member, token: str):
    """GET shows a button, POST spends the link: mail scanners that open links must not sign anyone in."""
    if request.method == "GET":
        return _render(request, "portal/magic_link.html", program, member, {"token": token})
    signed_in = magic_link_spend(program=program, token=token)
    if signed_in is None:
        return _render(request, "portal/magic_link.html", program, member, {"token": token, "invalid": True}, 400)
    portal_sign_in(request, signed_in)
    return redirect(_url("dashboard", program))


@portal_page(signed_in=False)
def single_sign_on(request, program, member):
    """`?customer=ID&ts=UNIX&sig=HEX` from the shop, `sig = hex(HMAC-SHA256(widget digest, "ID:ts"))` (see
    `loyalty.digests.sso_signature`). Good for five minutes; the customer must be a member already."""
    customer_id = request.GET.get("customer", "")[:255]
    try:
        timestamp = int(request.GET.get("ts", ""))
    except ValueError:
        timestamp = 0
    fresh = abs(time.time() - timestamp) <= SSO_MAX_AGE_SECONDS
    if fresh and sso_signature_valid(program, customer_id, timestamp, request.GET.get("sig", "")[:128]):
        found = Member.objects.filter(program=program, customer_id=customer_id).first()
        if found is not None:
            portal_sign_in(request, found)
            return redirect(_url("dashboard", program))
    logger.info("portal single sign-on refused program=%s fresh=%s", program.slug, fresh)
    messages.error(request, pgettext("portal", "That sign-in link is not valid any more. Ask for a new one below."))
    return redirect(_url("sign-in", program))


@require_POST
@portal_page(signed_in=False)
def sign_out(request, program, member):
    portal_sign_out(request, program)
    return redirect(_url("landing", program))


# Member pages


def _next_expiry(program, member) -> dict | None:
    if program.expiry_policy == ExpiryPolicy.FIXED:
        lot = (
            Transaction.objects.filter(
                member=member, status=TransactionStatus.ACTIVE, remaining__gt=0, expires_at__isnull=False
            )
            .order_by("expires_at")
            .values("expires_at", "remaining")
            .first()
        )
        return {"at": lot["expires_at"], "points": lot["remaining"]} if lot else None
    if program.expiry_policy == ExpiryPolicy.INACTIVITY and program.expiry_days and member.points_balance > 0:
        return {"at": member.last_activity_at + timedelta(days=program.expiry_days), "points": member.points_balance}
    return None


@portal_page(signed_in=True)
def dashboard(request, program, member):
    progress = member_tier_progress(member=member, at=timezone.now())
    context = {
        "balance": points_text(program, member.points_balance),
        "pending": points_text(program, member.pending_points) if member.pending_points else "",
        "progress": progress,
        # kept_until is the first moment without the tier; members read "until" as the last day with it.
        "kept_until": progress["kept_until"] - timedelta(microseconds=1) if progress["kept_until"] else None,
        "expiry": _next_expiry(program, member),
    }
    return _render(request, "portal/dashboard.html", program, member, context)


@portal_page(signed_in=True)
def history(request, program, member):
    """Newest first, by keyset (`?before=<id>`): a page costs the same on the first and the thousandth."""
    rows = Transaction.objects.filter(member=member).select_related("order").order_by("-id")
    before = request.GET.get("before", "")
    if before.isdecimal() and len(before) < 19:  # not isdigit(): "²" is a digit that int() refuses
        rows = rows.filter(id__lt=int(before))
    page = list(rows[: HISTORY_PAGE_SIZE + 1])
    more = len(page) > HISTORY_PAGE_SIZE
    page = page[:HISTORY_PAGE_SIZE]
    entries = [{"row": row, "words": transaction_words(row, program)} for row in page]
    older = f"?before={page[-1].pk}" if more else ""
    return _render(request, "portal/history.html", program, member, {"entries": entries, "older": older})


@portal_page(signed_in=True)
def rewards(request, program, member):
    now = timezone.now()
    vouchers = list(voucher_list(member=member)[:VOUCHERS_SHOWN])
    context = {
        "entries": catalog_entries(
            rewards_offered(reward_list(program=program, at=now), member=member, at=now), member
        ),
        "vouchers": [{"voucher": v, "status": v.status_at(now)} for v in vouchers],
        "balance": points_text(program, member.points_balance),
    }
    return _render(request, "portal/rewards.html", program, member, context)


_REFUSALS = {
    "insufficient_points": lambda: pgettext("portal", "You don't have enough points for this reward yet."),
    "out_of_stock": lambda: pgettext("portal", "Sorry, this reward is out of stock."),
    "tier_required": lambda: pgettext("portal", "This reward needs a higher tier."),
    "limit_reached": lambda: pgettext("portal", "You have already redeemed this reward as many times as allowed."),
}


@require_http_methods(["GET", "POST"])
@portal_page(signed_in=True)
def redeem(request, program, member, reward_id: int):
    """GET asks to confirm, POST redeems. The form's nonce makes a double submit one redemption."""
    try:
        reward = reward_get(program=program, reward_id=reward_id)
    except ApplicationError:
        raise Http404("No such reward.") from None
    if request.method == "GET":
        context = {"reward": reward, "cost": points_text(program, reward.points_cost), "nonce": secrets.token_hex(16)}
        return _render(request, "portal/redeem_confirm.html", program, member, context)
    nonce = request.POST.get("nonce", "")
    nonce = nonce if re.fullmatch(r"[0-9a-f]{1,32}", nonce) else ""  # the form's own hex nonce, nothing else
    try:
        redemption, _created = reward_redeem(
            member=member, reward=reward, idempotency_key=f"portal:{member.pk}:{nonce}" if nonce else ""
        )
    except ApplicationError as error:
        message = _REFUSALS.get(error.code, lambda: pgettext("portal", "This reward cannot be redeemed right now."))
        messages.error(request, message())
        return redirect(_url("rewards", program))
    code = getattr(getattr(redemption, "voucher", None), "code", "")
    logger.info("portal redemption program=%s member_id=%s reward=%s", program.slug, member.pk, reward.key)
    messages.success(request, pgettext("portal", "Done! You redeemed %(reward)s.") % {"reward": reward.name})
    return redirect(_url("rewards", program) + (f"#code-{code}" if code else ""))


@portal_page(signed_in=True)
def referral(request, program, member):
    if not program.referrals_enabled:
        raise Http404("This program has no referrals.")
    context = {
        "link": referral_url(code=member.referral_code),
        "stats": referral_stats(program=program, referrer=member),
    }
    return _render(request, "portal/referral.html", program, member, context)


@require_http_methods(["GET", "POST"])
@portal_page(signed_in=True)
def profile(request, program, member):
    form = forms.ProfileForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        member_profile_update(member=member, **form.cleaned_data)
        messages.success(request, pgettext("portal", "Your profile is saved."))
        return redirect(_url("profile", program))
    status = 400 if request.method == "POST" else 200
    return _render(request, "portal/profile.html", program, member, {"form": form}, status)


@portal_page(signed_in=True)
def card(request, program, member):
    number = member.referral_code
    qr = segno.make(number, error="m")
    context = {
        "number": " ".join(number[i : i + 4] for i in range(0, len(number), 4)),
        "qr_svg": qr.svg_inline(scale=6, dark="#000", light="#fff"),
    }
    return _render(request, "portal/card.html", program, member, context)


@require_http_methods(["GET", "POST"])
@portal_page(signed_in=False)
def unsubscribe(request, program, member, token: str):
    try:
        program_id, member_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise Http404("No such link.") from None
    subscriber = Member.objects.filter(pk=member_id, program_id=program.pk).first()
    if subscriber is None or program_id != program.pk:
        raise Http404("No such link.")
    done = False
    if request.method == "POST":
        member_profile_update(member=subscriber, emails_allowed=False)
        done = True
    return _render(request, "portal/unsubscribe.html", program, member, {"done": done, "token": token})
