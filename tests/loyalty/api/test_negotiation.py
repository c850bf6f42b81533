"""`JsonFirstNegotiation` picks what DRF's negotiation picks, for every Accept, Content-Type and ?format=."""

import json

from django.test import RequestFactory
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer, TemplateHTMLRenderer
from rest_framework.request import Request

from loyalty.api.negotiation import JsonFirstNegotiation
from tests.members.api.conftest import row_counts

headers = st.one_of(
    st.sampled_from(
        [
            "*/*",
            "application/json",
            "application/json; indent=4",
            "text/html",
            "application/*",
            "*/*;q=0.1",
            "",
            "application/json, text/html",
            "text/html;q=0.9, */*;q=0.8",
            "APPLICATION/JSON",
            " application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json; charset=utf-8",
        ]
    ),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30),
)
renderer_sets = st.sampled_from(
    [[JSONRenderer], [JSONRenderer, BrowsableAPIRenderer], [BrowsableAPIRenderer, JSONRenderer], [TemplateHTMLRenderer]]
)
parser_sets = st.sampled_from([[JSONParser], [FormParser, JSONParser], [JSONParser, MultiPartParser], []])


def outcome(call):
    try:
        chosen = call()
    except Exception as error:
        return type(error)
    if isinstance(chosen, tuple):
        return type(chosen[0]), chosen[1]
    return type(chosen) if chosen is not None else None


@settings(max_examples=400)
@given(
    accept=st.one_of(st.none(), headers),
    content_type=headers,
    query=st.sampled_from(["", "format=json", "format=html", "x=1", "format=api"]),
    suffix=st.sampled_from([None, "json", "html", "api"]),
    renderers=renderer_sets,
    parsers=parser_sets,
)
def test_json_first_negotiation_chooses_what_drf_chooses(accept, content_type, query, suffix, renderers, parsers):
    # given a request
    extra = {"HTTP_ACCEPT": accept} if accept is not None else {}
    request = Request(RequestFactory().post(f"/api/v1/orders?{query}", "{}", content_type=content_type, **extra))
    renderers, parsers = [cls() for cls in renderers], [cls() for cls in parsers]
    drf, ours = DefaultContentNegotiation(), JsonFirstNegotiation()
    # when / then: the same renderer and media type (or the same refusal), the same parser
    assert outcome(lambda: ours.select_renderer(request, renderers, suffix)) == outcome(
        lambda: drf.select_renderer(request, renderers, suffix)
    )
    assert outcome(lambda: ours.select_parser(request, parsers)) == outcome(lambda: drf.select_parser(request, parsers))


def test_an_order_asking_for_html_is_still_a_406_and_writes_nothing(api):
    # given an order call (a new member's, by email) that accepts only HTML
    before = row_counts()
    body = {"order_id": "o-1", "customer_id": "c-1", "email": "c1@example.com", "subtotal": "1.00", "currency": "USD"}
    # when
    response = api.post("/api/v1/orders", json.dumps(body), content_type="application/json", HTTP_ACCEPT="text/html")
    # then
    assert response.status_code == 406
    assert response.json()["error"]["code"] == "not_acceptable"
    assert row_counts() == before
