"""A kept `me` answer is served by the thin view in front of `WidgetMeApi` (storefront/widget/views.py `widget_me`):
the same bytes, headers, throttles, errors and 304s as the API view, one SQL statement, and the endpoint still in
the OpenAPI schema."""

import pytest
from rest_framework.test import APIClient

from storefront.models import MeAnswer
from tests.factories import RewardFactory
from tests.factories.rewards import member_with_points
from tests.storefront.conftest import widget_client

pytestmark = pytest.mark.django_db

ORIGIN = "https://shop.example.com"


def headers_of(response) -> dict:
    """The response's headers but its request id (one per request)."""
    return {name.lower(): value for name, value in response.headers.items() if name.lower() != "x-request-id"}


def test_a_kept_answer_has_the_built_answers_bytes_and_headers(program):
    # given
    program.allowed_origins = [ORIGIN]
    program.save()
    member_with_points(program, 300, customer_id="c-1")
    RewardFactory(program=program, points_cost=100)
    client = widget_client(program, "c-1", HTTP_ORIGIN=ORIGIN)

    # when
    built = client.get("/api/widget/v1/me")
    kept = client.get("/api/widget/v1/me")

    # then: CORS, caching, Allow and Vary headers as the API view sends them
    assert kept.content == built.content
    assert headers_of(kept) == headers_of(built)
    assert headers_of(kept)["access-control-allow-origin"] == ORIGIN
    assert headers_of(kept)["allow"] == "GET, HEAD, OPTIONS"


def test_a_kept_answer_is_304_with_the_api_views_headers(program):
    # given
    member = member_with_points(program, 10, customer_id="c-1")
    client = widget_client(program, "c-1")
    etag = client.get("/api/widget/v1/me")["ETag"]

    # when: kept, then built again (its entry dropped) to the same bytes by the API view
    kept = client.get("/api/widget/v1/me", HTTP_IF_NONE_MATCH=etag)
    MeAnswer.objects.filter(member=member).delete()
    built = client.get("/api/widget/v1/me", HTTP_IF_NONE_MATCH=etag)

    # then
    assert (kept.status_code, built.status_code) == (304, 304)
    assert kept.content == b"" and "content-type" not in headers_of(kept)
    assert headers_of(kept) == headers_of(built)


def test_a_kept_answer_runs_one_statement(program, django_assert_num_queries):
    # given
    member_with_points(program, 10, customer_id="c-1")
    client = widget_client(program, "c-1")
    client.get("/api/widget/v1/me")

    # when / then: the member's version (member row and catalog token), nothing else
    with django_assert_num_queries(1) as captured:
        assert client.get("/api/widget/v1/me").status_code == 200
    assert "JOIN" in captured.captured_queries[0]["sql"].upper()


def test_a_signed_shopper_who_is_not_a_member_is_read_once(program, django_assert_num_queries):
    # given
    client = widget_client(program, "c-2")

    # when / then: the program, the version (none): the API view answers 404 without reading it again
    with django_assert_num_queries(2):
        response = client.get("/api/widget/v1/me")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "member_not_found")


def test_a_wrong_digest_is_401_even_with_a_kept_answer(program):
    # given
    member_with_points(program, 10, customer_id="c-1")
    assert widget_client(program, "c-1").get("/api/widget/v1/me").status_code == 200

    # when
    forged = widget_client(program, "c-1", digest="0" * 64).get("/api/widget/v1/me")
    no_digest = widget_client(program, "c-1", digest="").get("/api/widget/v1/me")

    # then
    assert (forged.status_code, forged.json()["error"]["code"]) == (401, "invalid_digest")
    assert (no_digest.status_code, no_digest.json()["error"]["code"]) == (401, "invalid_digest")


def test_a_kept_answer_counts_in_both_buckets_and_each_is_counted_once(program, settings):
    # given: the shopper's bucket holds 3 calls, the IP's 5
    settings.WIDGET_THROTTLE_RATES = {"widget_shopper": "3/min", "widget_ip": "5/min"}
    member_with_points(program, 0, customer_id="c-1")
    member_with_points(program, 0, customer_id="c-2")
    client, other = widget_client(program, "c-1"), widget_client(program, "c-2")

    # when: c-1's 4th call is refused by its own bucket (the IP's 4th call)
    statuses = [client.get("/api/widget/v1/me").status_code for _ in range(4)]
    refused = client.get("/api/widget/v1/me", HTTP_X_FORWARDED_FOR="", REMOTE_ADDR="10.9.9.9")
    others = [other.get("/api/widget/v1/me").status_code for _ in range(2)]

    # then: the refused call counted once in the IP's bucket, so c-2 gets the 5th call and no more
    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "throttled"
    assert "Retry-After" in refused
    assert others == [200, 429]


def test_other_methods_get_the_api_views_answer(program):
    # given
    member_with_points(program, 10, customer_id="c-1")
    client = widget_client(program, "c-1")
    client.get("/api/widget/v1/me")

    # when
    posted = client.post("/api/widget/v1/me", {}, format="json")
    head = client.head("/api/widget/v1/me")

    # then: 405 from DRF (not a CSRF 403), HEAD as GET
    assert posted.status_code == 405 and posted.json()["error"]["code"] == "method_not_allowed"
    assert head.status_code == 200


def test_the_schema_still_documents_me(db):
    # when
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()

    # then
    operation = schema["paths"]["/api/widget/v1/me"]["get"]
    assert operation["operationId"] == "widget_me"
    assert {"200", "401", "404", "429"} <= set(operation["responses"])


def test_a_first_view_built_in_front_has_the_api_views_bytes_and_headers(program, monkeypatch):
    # given
    program.allowed_origins = [ORIGIN]
    program.save()
    member = member_with_points(program, 300, customer_id="c-1")
    RewardFactory(program=program, points_cost=100)
    client = widget_client(program, "c-1", HTTP_ORIGIN=ORIGIN)

    # when: built in front, then (its answer dropped) built again by the API view alone
    in_front = client.get("/api/widget/v1/me")
    MeAnswer.objects.filter(member=member).delete()
    monkeypatch.setattr("storefront.widget.views._me_plain", lambda request: None)
    by_api = client.get("/api/widget/v1/me")

    # then
    assert in_front.status_code == 200
    assert in_front.content == by_api.content
    assert headers_of(in_front) == headers_of(by_api)


def test_a_first_view_is_built_without_drfs_dispatch(program, monkeypatch):
    # given: the API view refuses to dispatch
    member_with_points(program, 10, customer_id="c-1")

    def no_dispatch(*args, **kwargs):
        raise AssertionError("dispatched through WidgetMeApi")

    monkeypatch.setattr("storefront.widget.views.WidgetMeApi.dispatch", no_dispatch)

    # when
    response = widget_client(program, "c-1").get("/api/widget/v1/me")

    # then: built and kept in front
    assert response.status_code == 200 and MeAnswer.objects.filter(member__customer_id="c-1").exists()


def test_a_build_that_fails_in_front_is_answered_as_the_api_view_answers_it(program, monkeypatch):
    # given: building fails whichever view builds
    member_with_points(program, 10, customer_id="c-1")
    client = widget_client(program, "c-1")

    def broken(version, at):
        raise RuntimeError("broken build")

    monkeypatch.setattr("storefront.widget.views.WidgetMeApi.build_reference", staticmethod(broken))
    monkeypatch.setattr("storefront.widget.views.me_first_view", lambda **kwargs: None)

    # when
    in_front = client.get("/api/widget/v1/me")
    monkeypatch.setattr("storefront.widget.views._me_plain", lambda request: None)
    by_api = client.get("/api/widget/v1/me")

    # then: the error shape, never Django's HTML page
    assert (in_front.status_code, in_front.json()["error"]["code"]) == (500, "server_error")
    assert in_front.content == by_api.content
    assert headers_of(in_front) == headers_of(by_api)
