"""A plain Django view in front of a DRF `APIView`, for the one call it answers thousands of times a second.

DRF's dispatch (request wrapping, negotiation, authentication, permissions, throttles, parsing, exception handling,
headers) costs as much Python as a cheap endpoint's own work. A front view answers the common call itself with the
same checks in the same order and the same bytes, and hands every other request to the `APIView` untouched: a
refusal before it has changed anything (bad key, bad body, a full bucket, another media type) is answered by the
`APIView` from the start, so that every error is rendered in one place. An error after the front view started the
work (the service refused or failed) is rendered by the `APIView`'s own exception handling (`error_response`).

A front view stands for its `APIView` only while the `APIView` is configured as the front view assumes
(`stands_for`); drf-spectacular documents it from the `APIView` (`fronted`)."""

from django.conf import settings
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.utils import json
from rest_framework.views import APIView

from loyalty.api.authentication import ApiKeyAuthentication, bearer_key_hash
from loyalty.api.negotiation import JSON, JsonFirstNegotiation, plain_json_accepted
from loyalty.api.permissions import HasProgram
from loyalty.api.throttling import ProgramRateThrottle
from loyalty.program_config import api_key_program_cached


def stands_for(view_class: type[APIView]) -> bool:
    """Whether `view_class` dispatches as a front view assumes: API key, program permission and throttle, plain JSON
    in and out, negotiated by `JsonFirstNegotiation`."""
    return (
        list(view_class.authentication_classes) == [ApiKeyAuthentication]
        and list(view_class.permission_classes) == [HasProgram]
        and list(view_class.throttle_classes) == [ProgramRateThrottle]
        and list(view_class.parser_classes) == [JSONParser]
        and list(view_class.renderer_classes) == [JSONRenderer]
        and view_class.content_negotiation_class is JsonFirstNegotiation
        and view_class.versioning_class is None
    )


def fronted(front, view_class: type[APIView]):
    """`front` as the URL's view: CSRF-exempt like `as_view()`, documented from `view_class` by drf-spectacular."""
    front = csrf_exempt(front)
    front.cls, front.initkwargs = view_class, {}
    front.view_class, front.view_initkwargs = view_class, {}
    return front


def plain_call_program(request):
    """The program of a plain JSON call with a warm API key, or None for anything the `APIView` should see itself:
    a body not sent as exactly `application/json`, an `Accept` DRF would negotiate, a missing or malformed key, a
    key whose program is not cached (the `APIView` looks it up and caches it). The program is the cached object
    itself, shared with the process's other calls (a copy cost ~5 us an order): callers only read it."""
    meta = request.META
    if meta.get("CONTENT_TYPE") != JSON or not plain_json_accepted(meta):
        return None
    try:
        key_hash = bearer_key_hash(request)
    except exceptions.AuthenticationFailed:
        return None
    return api_key_program_cached(key_hash, shared=True) if key_hash is not None else None


def json_body(request):
    """The request body as `JSONParser` parses it for the `APIView`; `ValueError` (or `ParseError`) for anything
    the `APIView` should parse itself: no body, one over the upload limit, or one it refuses."""
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if not 0 < length <= (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or length):
        raise ValueError("no body, or too large a one")
    # `JSONParser.parse` without its stream and reader (~9 us): the same decoding (strict, the request's charset),
    # the same decoder and constants; its ParseError is a ValueError here.
    text = request.body.decode(request.encoding or settings.DEFAULT_CHARSET)
    return json.loads(text, parse_constant=json.strict_constant if JSONParser.strict else None)


def throttle_allows(program) -> bool:
    """Counts the call in the program's bucket, as the `APIView`'s throttle does; False when it is full (the
    `APIView` then counts it again and answers 429: harmless, the bucket is full until its window ends)."""
    throttle = ProgramRateThrottle()
    return throttle.allow_ident(throttle.program_ident(program))


def view_headers(view_class: type[APIView]) -> dict:
    """The headers DRF adds to every answer of `view_class` (`Allow`, and `Vary: Accept` with several renderers)."""
    view = view_class()
    view.setup(None)  # as `as_view()` does for each request
    return view.default_response_headers


def with_view_headers(response, headers: dict):
    """`response` with `headers` added as `APIView.finalize_response` adds them."""
    for header, value in headers.items():
        if header == "Vary":
            patch_vary_headers(response, [value])
        else:
            response[header] = value
    return response


def error_response(view_class: type[APIView], request, exc: Exception, program, *args, **kwargs):
    """What `view_class`'s dispatch answers when its handler raises `exc` for this plain JSON call: its exception
    handling (the project's exception handler, a rollback mark for the request's atomic block) and headers."""
    view = view_class()
    view.setup(request, *args, **kwargs)
    view.args, view.kwargs = args, kwargs
    view.request = drf_request = view.initialize_request(request, *args, **kwargs)
    view.headers = view.default_response_headers
    view.format_kwarg = view.get_format_suffix(**kwargs)
    drf_request.accepted_renderer, drf_request.accepted_media_type = view.perform_content_negotiation(drf_request)
    drf_request.program = program
    return view.finalize_response(drf_request, view.handle_exception(exc), *args, **kwargs)
