"""`json_bytes` writes exactly the bytes DRF's `JSONRenderer` writes, and `json_answer` answers as a DRF
`Response` would: the same body and headers for a plain JSON call, DRF's own rendering for anything else."""

import json
from datetime import UTC

from hypothesis import given
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer

from loyalty.api.renderers import json_bytes
from tests.factories import TierFactory

texts = st.one_of(
    st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=("Cs",)), max_size=20),
    st.sampled_from(["\u2028", "a\u2029b", "ليلى", '"\\', "</script>", "\x00"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.datetimes(timezones=st.just(UTC)),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(texts, children, max_size=4)),
    max_leaves=25,
)


@given(data=documents)
def test_json_bytes_are_the_json_renderers(data):
    assert json_bytes(data) == JSONRenderer().render(data, "application/json")


ORDER = {"order_id": "o-1", "customer_id": "c-1", "email": "c1@example.com", "subtotal": "60.00", "currency": "USD"}


def _post_order(api, **headers):
    return api.post("/api/v1/orders", json.dumps(ORDER), content_type="application/json", **headers)


def test_an_order_answer_has_the_bytes_and_headers_of_a_drf_response(api, program):
    # given a program whose members have tiers (a nested answer) and a new member's order
    TierFactory(program=program, key="gold", name="Gold ✦", position=1)
    # when
    response = _post_order(api)
    # then: DRF's compact JSON and its headers
    assert response.status_code == 201
    assert response.content == JSONRenderer().render(response.json(), "application/json")
    assert response["Content-Type"] == "application/json"
    assert response["Allow"] == "POST, OPTIONS"
    assert response.json()["member"]["tier"] == {"key": "gold", "name": "Gold ✦"}


def test_an_order_asking_for_indented_json_is_rendered_by_drf(api, program):
    # when a client asks for indented JSON
    response = _post_order(api, HTTP_ACCEPT="application/json; indent=4")
    # then DRF renders it, indented, as it always did; the replay answers the same way
    assert response.status_code == 201
    assert response.content == JSONRenderer().render(response.json(), "application/json; indent=4")
    assert response.content.startswith(b'{\n    "order_id"')
    assert _post_order(api, HTTP_ACCEPT="application/json; indent=4").content == response.content


def test_a_replayed_order_answers_the_same_bytes(api, program):
    # given an order recorded once
    first = _post_order(api)
    # when it is sent again
    again = _post_order(api)
    # then the same body, now a 200
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.content == first.content
