"""`POST /api/v1/orders`: the plain JSON order with a warm API key is answered here, without DRF's dispatch
(~0.3 ms of Python an order); every other request goes to `OrderRecordApi`, which answers as always
(`loyalty.api.front`). The answer is the same: status, body bytes, headers
(tests/members/api/test_order_front.py sends the same requests through both)."""

from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer

from loyalty.api import front
from loyalty.api.renderers import json_bytes
from members.api.views import OrderRecordApi, order_input, order_recorded

_api = OrderRecordApi.as_view()
_HEADERS = front.view_headers(OrderRecordApi)


def _order_record(request, *args, **kwargs):
    if request.method == "POST" and front.stands_for(OrderRecordApi):
        response = _plain_order(request, *args, **kwargs)
        if response is not None:
            return response
    return _api(request, *args, **kwargs)


order_record = front.fronted(_order_record, OrderRecordApi)


def _plain_order(request, *args, **kwargs) -> HttpResponse | None:
    """The answer to a plain order call, or None to let `OrderRecordApi` answer. Nothing is counted or written
    before the call is known to be the common one: a warm key, a valid body, room in the program's bucket."""
    program = front.plain_call_program(request)
    if program is None:
        return None
    try:
        data = order_input(front.json_body(request))
    except Exception:  # refused (or failing) before anything was counted or written: the APIView's to answer
        return None
    if not front.throttle_allows(program):
        return None
    try:
        answer, http_status = order_recorded(program, data)
        body = json_bytes(answer)
    except Exception as exc:  # the work started: answered by the APIView's exception handling, as in its dispatch
        return front.error_response(OrderRecordApi, request, exc, program, *args, **kwargs)
    return front.with_view_headers(
        HttpResponse(body, status=http_status, content_type=JSONRenderer.media_type), _HEADERS
    )
