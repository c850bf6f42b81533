import pytest

from tests.factories import ProgramFactory
from tests.factories.rewards import member_with_points
from tests.storefront.conftest import widget_client

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"


@pytest.fixture
def shop_program():
    return ProgramFactory(allowed_origins=[SHOP])


def test_an_allowed_origin_gets_cors_headers(shop_program):
    # when
    response = widget_client(shop_program).get("/api/widget/v1/program", HTTP_ORIGIN=SHOP)

    # then
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert "ETag" in response["Access-Control-Expose-Headers"]


def test_another_origin_is_refused(shop_program):
    # when
    response = widget_client(shop_program).get("/api/widget/v1/program", HTTP_ORIGIN="https://evil.example.com")

    # then
    assert "Access-Control-Allow-Origin" not in response


def test_an_origin_of_another_program_is_refused_here(shop_program):
    # given: the origin is allowed by another program only
    ProgramFactory(allowed_origins=["https://other-shop.example.com"])

    # when
    response = widget_client(shop_program).get("/api/widget/v1/program", HTTP_ORIGIN="https://other-shop.example.com")

    # then
    assert "Access-Control-Allow-Origin" not in response


def test_a_preflight_names_its_program_in_the_query_string(client, shop_program):
    # when
    allowed = client.options(
        f"/api/widget/v1/me?program={shop_program.public_key}",
        HTTP_ORIGIN=SHOP,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-loyalty-program,x-loyalty-customer,x-loyalty-digest",
    )
    refused = client.options(
        f"/api/widget/v1/me?program={shop_program.public_key}",
        HTTP_ORIGIN="https://evil.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )

    # then
    assert allowed["Access-Control-Allow-Origin"] == SHOP
    assert "x-loyalty-digest" in allowed["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in refused


def test_a_shopper_is_throttled(program, settings):
    # given
    settings.WIDGET_THROTTLE_RATES = {"widget_shopper": "3/min", "widget_ip": "1000/min"}
    member_with_points(program, 0, customer_id="c-1")
    client = widget_client(program, "c-1")

    # when
    statuses = [client.get("/api/widget/v1/me").status_code for _ in range(4)]
    other_shopper = widget_client(program, "c-2").get("/api/widget/v1/me")

    # then
    assert statuses == [200, 200, 200, 429]
    assert other_shopper.status_code == 404  # their own bucket (and not a member)


def test_an_ip_is_throttled_even_with_wrong_digests(program, settings):
    # given
    settings.WIDGET_THROTTLE_RATES = {"widget_shopper": "1000/min", "widget_ip": "2/min"}
    client = widget_client(program, "c-1", digest="0" * 64)

    # when
    statuses = [client.get("/api/widget/v1/me").status_code for _ in range(3)]

    # then
    assert statuses == [401, 401, 429]
    assert "Retry-After" in client.get("/api/widget/v1/program")
