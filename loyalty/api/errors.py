"""One error shape for every API answer:
`{"error": {"code": "snake_case", "message": "human sentence", "fields": {...}}}`."""

import json.decoder
import json.scanner
import logging
import math

from django import db
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from loyalty.errors import ApplicationError

logger = logging.getLogger(__name__)

_DRF_CODES = {
    exceptions.ParseError: "malformed_json",
    exceptions.AuthenticationFailed: "unauthorized",
    exceptions.NotAuthenticated: "unauthorized",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def error_body(code: str, message: str, fields=None) -> dict:
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif _json_nested_too_deep(exc):
        exc = exceptions.ParseError()  # DRF's JSONParser turns only ValueError into ParseError
    elif isinstance(exc, RequestDataTooBig):  # read by DRF inside the view: Django's own 400 never sees it
        return Response(
            error_body("request_too_large", "The request body is larger than this API accepts."),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return Response(error_body("invalid_input", _first_message(fields), fields), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.APIException):
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(max(math.ceil(exc.wait), 1))
        message = str(exc.detail) if not isinstance(exc.detail, list | dict) else code
        if code == "malformed_json":
            message = "The request body is not valid JSON."
        return Response(error_body(code, message), status=exc.status_code, headers=headers)
    if isinstance(exc, db.OperationalError | db.InterfaceError):
        # The database went away mid-request (restart, failover, dropped connection): the transaction rolled
        # back, nothing was written, and the same request retried later is safe. Say so, don't call it a bug.
        logger.warning("api database unavailable view=%s error=%s", type(context.get("view")).__name__, exc)
        set_rollback()
        return Response(
            error_body("service_unavailable", "The service is briefly unavailable; retry the same request."),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
        )
    # Anything else is a bug: log it with its traceback, answer in the error shape, never an HTML page.
    logger.exception("api unexpected error view=%s", type(context.get("view")).__name__)
    set_rollback()
    return Response(
        error_body("server_error", "Something went wrong on our side; it has been logged."),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


_JSON_DECODING = frozenset({json.decoder.__file__, json.scanner.__file__})


def _json_nested_too_deep(exc) -> bool:
    """A `RecursionError` raised while decoding JSON (a request body nested deeper than the decoder can follow)."""
    if not isinstance(exc, RecursionError):
        return False
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    return frame is not None and frame.tb_frame.f_code.co_filename in _JSON_DECODING


def api_not_found(request, exception=None):
    """`handler404`: unknown URLs under `/api/` answer in the error shape, the rest as HTML."""
    if _is_api(request):
        return JsonResponse(error_body("not_found", "No such API endpoint."), status=404)
    return defaults.page_not_found(request, exception)


def api_server_error(request):
    """`handler500`: errors outside DRF's views (middleware, URL resolving) under `/api/` stay JSON."""
    if _is_api(request):
        return JsonResponse(
            error_body("server_error", "Something went wrong on our side; it has been logged."), status=500
        )
    return defaults.server_error(request)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _first_message(fields) -> str:
    """A human sentence naming the first invalid field."""
    for name, problems in fields.items():
        problem = problems
        while isinstance(problem, list | dict) and problem:
            problem = problem[0] if isinstance(problem, list) else next(iter(problem.values()))
        label = "Request" if name == "non_field_errors" else f"`{name}`"
        return f"{label}: {problem}"
    return "Invalid input."
