"""Portal pages for giving points to a cause: `/p/{slug}/donate/` lists the causes, `…/donate/{id}/` asks to
confirm an amount (GET) and gives it (POST, CSRF-protected; the form's nonce makes a double submit one
donation). Every query is scoped to the signed-in member's program."""

import logging
import re
import secrets

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from donations.selectors import cause_list
from donations.services.donate import cause_get, donation_value, points_donate
from loyalty.errors import ApplicationError
from members.portal.access import portal_page
from members.portal.presenters import points_text
from members.portal.views import _render

logger = logging.getLogger(__name__)

MAX_POINTS_FIELD = 1_000_000_000


def _list_url(program) -> str:
    return reverse("donations:causes", kwargs={"slug": program.slug})


@portal_page(signed_in=True)
def causes(request, program, member):
    entries = [
        {"cause": cause, "fraction": min(cause.raised_points / cause.goal_points, 1) if cause.goal_points else None}
        for cause in cause_list(program=program)
    ]
    context = {"entries": entries, "balance": points_text(program, member.points_balance)}
    return _render(request, "donations/causes.html", program, member, context)


def _points(raw: str) -> int | None:
    return int(raw) if raw.isdecimal() and len(raw) <= 10 and int(raw) <= MAX_POINTS_FIELD else None


_REFUSALS = {
    "insufficient_points": lambda: pgettext("portal", "You don't have that many points to give."),
    "invalid_points": lambda: pgettext("portal", "Please choose an amount this cause accepts."),
}


@require_http_methods(["GET", "POST"])
@portal_page(signed_in=True)
def donate(request, program, member, cause_id: int):
    """GET `?points=N` asks to confirm, POST gives."""
    try:
        cause = cause_get(program=program, cause_id=cause_id)
    except ApplicationError:
        raise Http404("No such cause.") from None
    data = request.GET if request.method == "GET" else request.POST
    points = _points(data.get("points", "").strip())
    if request.method == "GET":
        if points is None or points < cause.min_points or (cause.max_points and points > cause.max_points):
            messages.error(request, _REFUSALS["invalid_points"]())
            return redirect(_list_url(program))
        if points > member.points_balance:
            messages.error(request, _REFUSALS["insufficient_points"]())
            return redirect(_list_url(program))
        context = {
            "cause": cause,
            "points": points,
            "amount": points_text(program, points),
            "value": donation_value(program=program, points=points) if program.point_value else None,
            "nonce": secrets.token_hex(16),
        }
        return _render(request, "donations/confirm.html", program, member, context)
    nonce = request.POST.get("nonce", "")
    if points is None or not re.fullmatch(r"[0-9a-f]{32}", nonce):
        messages.error(request, _REFUSALS["invalid_points"]())
        return redirect(_list_url(program))
    try:
        points_donate(member=member, cause=cause, points=points, idempotency_key=f"portal:{member.pk}:{nonce}")
    except ApplicationError as error:
        message = _REFUSALS.get(error.code, lambda: pgettext("portal", "This donation could not be made."))
        messages.error(request, message())
        return redirect(_list_url(program))
    logger.info("portal donation program=%s member_id=%s cause=%s", program.slug, member.pk, cause.pk)
    words = {"amount": points_text(program, points), "cause": cause.name}
    messages.success(request, pgettext("portal", "Thank you! You gave %(amount)s to %(cause)s.") % words)
    return redirect(_list_url(program))
