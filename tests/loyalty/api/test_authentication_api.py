import pytest
from rest_framework.test import APIClient

from loyalty.services.api_keys import api_key_issue, api_key_revoke
from members.models import Member


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer sk_wrong",
        "Bearer",
        "Token sk_wrong",
        "Bearer two parts",
        "Bearer sk_\u00e9\u00e9",
    ],
)
def test_a_missing_or_bad_key_is_a_401(program, authorization):
    # given a client with no key or a bad one
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)

    # when it calls the API (a read and a write)
    read = client.get("/api/v1/members/c-1")
    write = client.post("/api/v1/members", {"customer_id": "c-1", "email": "a@example.com"}, format="json")

    # then both are a 401 in the error shape, asking for a Bearer key, and nothing is written
    for response in (read, write):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
        assert response["WWW-Authenticate"] == "Bearer"
    assert Member.objects.count() == 0


def test_a_revoked_key_is_a_401(program):
    # given a key that was revoked
    key, raw = api_key_issue(program=program)
    api_key_revoke(key=key)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    # when it is used
    response = client.get("/api/v1/members/c-1")

    # then it is refused
    assert response.status_code == 401


def test_a_valid_key_reaches_its_program(api, program):
    # given the program's key
    # when it creates a member
    response = api.post("/api/v1/members", {"customer_id": "c-1", "email": "a@example.com"}, format="json")

    # then the member belongs to the key's program
    assert response.status_code == 201
    assert Member.objects.get().program == program
