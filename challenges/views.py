"""Portal pages: the member's challenges with progress bars, and the leaderboard with their own rank and the
opt-in/out toggle (POST, CSRF-protected). Every query is scoped to the signed-in member's program."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from challenges.selectors import challenge_cards, leaderboard_get, leaderboard_rank, leaderboard_top
from challenges.services.leaderboard import leaderboard_opt_in_set
from members.portal.access import portal_page
from members.portal.views import _render


@portal_page(signed_in=True)
def challenges(request, program, member):
    context = {"cards": challenge_cards(member=member), "board": leaderboard_get(program_id=program.pk)}
    return _render(request, "portal/challenges.html", program, member, context)


@portal_page(signed_in=True)
def leaderboard(request, program, member):
    board = leaderboard_get(program_id=program.pk)
    if board is None:
        raise Http404("This program has no leaderboard.")
    entries = leaderboard_top(board=board, tz_name=program.timezone)
    context = {
        "board": board,
        "entries": entries,
        "mine": leaderboard_rank(board=board, member=member, tz_name=program.timezone, top=entries),
    }
    return _render(request, "portal/leaderboard.html", program, member, context)


@require_POST
@portal_page(signed_in=True)
def leaderboard_opt_in(request, program, member):
    if leaderboard_get(program_id=program.pk) is None:
        raise Http404("This program has no leaderboard.")
    opt_in = request.POST.get("opt_in") == "1"
    leaderboard_opt_in_set(member=member, opt_in=opt_in)
    if opt_in:
        messages.success(request, pgettext("portal", "You are on the leaderboard."))
    else:
        messages.success(request, pgettext("portal", "You are no longer on the leaderboard."))
    return redirect(reverse("challenges:leaderboard", kwargs={"slug": program.slug}))
