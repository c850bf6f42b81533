"""Who is looking at a portal page: the program from the URL, the member from the session, the language.

A session may hold members of several programs (one browser, several shops on this platform); each is kept
under its program's id, and a member is only ever loaded together with the program of the URL, so a session
of program A never reaches a page of program B. Sign-in rotates the session key (no fixation)."""

import functools
import logging
import re
import zoneinfo
from datetime import datetime

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation

from loyalty.models import Program
from members.models import Member

logger = logging.getLogger(__name__)

SESSION_MEMBERS = "portal_members"
SESSION_LANGUAGE = "portal_language"
LANGUAGES = {code for code, _name in settings.LANGUAGES}
_COLOR = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")


def portal_sign_in(request, member: Member) -> None:
    members = dict(request.session.get(SESSION_MEMBERS, {}))
    request.session.cycle_key()
    members[str(member.program_id)] = member.pk
    request.session[SESSION_MEMBERS] = members
    logger.info("portal sign-in program_id=%s member_id=%s", member.program_id, member.pk)


def portal_sign_out(request, program: Program) -> None:
    members = dict(request.session.get(SESSION_MEMBERS, {}))
    if members.pop(str(program.pk), None) is not None:
        request.session[SESSION_MEMBERS] = members
        request.session.cycle_key()


def _member_id(request, program_id: int) -> int | None:
    value = request.session.get(SESSION_MEMBERS, {}).get(str(program_id))
    return value if isinstance(value, int) else None


def _program_get(slug: str) -> Program:
    program = Program.objects.filter(slug=slug[:60]).first()
    if program is None:
        raise Http404("No such program.")
    return program


def _member_with_program(request, slug: str) -> Member | None:
    """The signed-in member of the program `slug`, program and tier joined in: one query."""
    members = request.session.get(SESSION_MEMBERS, {})
    ids = [v for v in members.values() if isinstance(v, int)] if isinstance(members, dict) else []
    if not ids:
        return None
    member = Member.objects.select_related("program", "tier").filter(program__slug=slug[:60], pk__in=ids).first()
    if member is None or _member_id(request, member.program_id) != member.pk:
        return None
    return member


def portal_language(request, program: Program) -> str:
    """`?lang=` (remembered in the session), else the one chosen earlier, else the program's language."""
    wanted = request.GET.get("lang")
    if wanted in LANGUAGES:
        if request.session.get(SESSION_LANGUAGE) != wanted:
            request.session[SESSION_LANGUAGE] = wanted
        return wanted
    chosen = request.session.get(SESSION_LANGUAGE)
    if chosen in LANGUAGES:
        return chosen
    locale = (program.locale or settings.LANGUAGE_CODE).split("-")[0].lower()
    return locale if locale in LANGUAGES else settings.LANGUAGE_CODE


def _zone(name: str):
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.UTC


def color(value: str | None, default: str) -> str:
    return value if value and _COLOR.match(value) else default


def portal_page(*, signed_in: bool):
    """Decorate a portal view `view(request, program, member)`: loads the program (and the signed-in member,
    in the same query), sends strangers to the sign-in page when `signed_in`, and renders in the portal's
    language (`Content-Language` set)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, slug: str, *args, **kwargs):
            member = _member_with_program(request, slug)
            program = member.program if member else _program_get(slug)
            if signed_in and member is None:
                return redirect(reverse("portal:sign-in", kwargs={"slug": program.slug}))
            language = portal_language(request, program)
            with translation.override(language), timezone.override(_zone(program.timezone)):
                request.portal_language = language
                response = view(request, program, member, *args, **kwargs)
                if hasattr(response, "render") and callable(response.render) and not response.is_rendered:
                    response.render()
            response["Content-Language"] = language
            return response

        return wrapper

    return decorate
