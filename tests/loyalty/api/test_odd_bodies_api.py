"""Odd request bodies are the caller's error, never ours: JSON nested past what the parser can follow is
`400 malformed_json`, a body over DATA_UPLOAD_MAX_MEMORY_SIZE is `400 request_too_large`, on every server API call
(the order call's front view hands both to OrderRecordApi, so they are checked there and on another endpoint)."""

import json

import pytest
from django.conf import settings

DEEP = "[" * 100_000 + "]" * 100_000
ORDER = {"order_id": "o-1", "customer_id": "c-1", "subtotal": "25.50", "currency": "USD"}
URLS = ["/api/v1/orders", "/api/v1/events", "/api/v1/members"]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(
    "body",
    [DEEP, json.dumps({**ORDER, "items": json.loads("[" * 500 + "]" * 500)})[:-1] + ', "x": ' + DEEP + "}"],
    ids=["deep array", "deep value in an object"],
)
def test_json_nested_too_deep_is_malformed_json(api, url, body):
    # when a body nests deeper than the parser follows
    response = api.post(url, body, content_type="application/json")

    # then it is the malformed JSON answer, not a 500
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "malformed_json", "message": "The request body is not valid JSON."}}


@pytest.mark.parametrize("url", URLS)
def test_a_body_over_the_upload_limit_is_a_400(api, url):
    # when a body is larger than the upload limit
    body = json.dumps({**ORDER, "items": ["x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)]})
    response = api.post(url, body, content_type="application/json")

    # then it is refused as the caller's error, in the error shape
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "request_too_large"
