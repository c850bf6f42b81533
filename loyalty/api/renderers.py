"""A JSON answer rendered exactly as DRF's `JSONRenderer` renders it, without a DRF `Response`.

A `Response` is a template response: DRF renders it after the view returns, through the renderer context, the
`indent` lookup in the accepted media type and a new encoder per call. `POST /api/v1/orders` answers thousands
of times a second with plain JSON, so for a call that accepted plain `application/json` it encodes once with a
shared encoder of DRF's class and options and returns an `HttpResponse` with the same bytes and `Content-Type`.
DRF still negotiates first (an unacceptable `Accept` is a 406), adds its headers in `finalize_response`, and
renders every error and every other media type (`application/json; indent=4` is pretty-printed as before)."""

from django.http import HttpResponse
from rest_framework.compat import LONG_SEPARATORS, SHORT_SEPARATORS
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

_encode = JSONRenderer.encoder_class(
    ensure_ascii=JSONRenderer.ensure_ascii,
    allow_nan=not JSONRenderer.strict,
    separators=SHORT_SEPARATORS if JSONRenderer.compact else LONG_SEPARATORS,
).encode


def json_bytes(data) -> bytes:
    """`JSONRenderer().render(data, "application/json")`: the same bytes (U+2028 and U+2029 escaped, as DRF
    does so that the JSON is valid JavaScript too; nothing for None)."""
    if data is None:
        return b""
    return _encode(data).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def json_answer(request, data: dict, *, status: int) -> HttpResponse:
    """What `Response(data, status=status)` sends: built at once for a call that accepted plain JSON from
    `JSONRenderer`, else the DRF `Response` itself."""
    plain_json = (
        request.accepted_media_type == JSONRenderer.media_type and type(request.accepted_renderer) is JSONRenderer
    )
    if not plain_json or data is None:
        return Response(data, status=status)
    return HttpResponse(json_bytes(data), status=status, content_type=JSONRenderer.media_type)
