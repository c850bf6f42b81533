"""Every answer under /api/ is JSON in the error shape: unknown URLs, wrong methods and our own bugs too."""

import pytest
from rest_framework.test import APIClient

from members.api import views


@pytest.mark.parametrize("url", ["/api/v1/nope", "/api/v1/members/c-1/nope", "/api/v1/", "/api/v2/members"])
def test_an_unknown_api_url_is_a_json_404(api, url):
    # given an authenticated client
    # when it calls a URL that does not exist
    response = api.get(url)

    # then the 404 is in the error shape
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_an_unknown_page_outside_the_api_stays_html(db):
    # given an anonymous visitor
    # when a missing page outside /api/ is asked for
    response = APIClient().get("/no-such-page/")

    # then it is Django's usual HTML 404
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_a_wrong_method_is_a_405_in_the_error_shape(api, program):
    # given an authenticated client
    # when it deletes a collection
    response = api.delete("/api/v1/members")

    # then it is a 405 in the error shape
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_an_unexpected_error_is_a_json_500_and_logged(api, program, monkeypatch, caplog):
    # given a service that fails in a way nobody planned for
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "member_join", broken)

    # when the API calls it
    response = api.post("/api/v1/members", {"customer_id": "c-1", "email": "a@example.com"}, format="json")

    # then the client gets a JSON 500 without internals, and the traceback is in the log
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "server_error", "message": "Something went wrong on our side; it has been logged."}
    }
    assert "boom" not in response.content.decode()
    assert any(record.exc_info and "api unexpected error" in record.getMessage() for record in caplog.records)


def test_an_error_outside_drf_under_the_api_is_a_json_500(rf):
    # given a request under /api/ that failed before reaching a view
    from loyalty.api.errors import api_server_error

    # when Django's handler500 answers it
    response = api_server_error(rf.get("/api/v1/members"))

    # then it is JSON in the error shape
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
