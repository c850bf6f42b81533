"""The OpenAPI schema documents every server API call and generates without a warning."""

from django.core.management import call_command
from rest_framework.test import APIClient

SERVER_API = {
    ("/api/v1/members", "post"),
    ("/api/v1/members/{customer_id}", "get"),
    ("/api/v1/members/{customer_id}/transactions", "get"),
    ("/api/v1/members/{customer_id}/adjustments", "post"),
    ("/api/v1/orders", "post"),
    ("/api/v1/orders/{order_id}/refunds", "post"),
    ("/api/v1/events", "post"),
}


def test_the_schema_validates_without_warnings(db, tmp_path):
    # given the project's API
    # when the schema is generated, validated, and any warning is an error
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    # then it was written
    assert target.read_text().startswith("openapi: 3")


def test_every_call_is_documented_with_a_summary_examples_and_errors(db):
    # given the served schema (public, like the docs pages)
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()

    # when each server API operation is looked up
    for path, method in SERVER_API:
        operation = schema["paths"][path][method]

        # then it has a summary, a description, an error answer and examples
        assert operation["summary"] and operation["description"], (path, method)
        assert {"401", "429"} <= set(operation["responses"]), (path, method)
        success = operation["responses"].get("201") or operation["responses"]["200"]
        assert success["content"]["application/json"].get("examples"), (path, method)
        assert operation["security"] == [{"apiKey": []}], (path, method)


def test_the_docs_pages_are_served(db):
    # given an anonymous browser
    client = APIClient()

    # when the docs are opened
    # then Swagger UI and Redoc answer
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/redoc/").status_code == 200
