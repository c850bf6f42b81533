"""A request id per request: taken from `X-Request-ID` when the proxy sent a sane one, else a new one.
It is echoed in the response header and put on every log line written while the request runs."""

import contextvars
import re
import uuid

_current = contextvars.ContextVar("request_id", default="-")
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_get() -> str:
    return _current.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.headers.get("X-Request-ID", "")
        request_id = sent if _SANE.match(sent) else uuid.uuid4().hex
        request.request_id = request_id
        # Not reset on the way out: Django logs 4xx/5xx answers ("django.request") after the middleware returns,
        # and those lines need the id too. The next request sets its own.
        _current.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
