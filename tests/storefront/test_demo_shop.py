import pytest

from storefront.shoppers import customer_digest
from tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def test_the_demo_shop_embeds_the_widget_with_the_shoppers_digest(client, settings):
    # given
    program = ProgramFactory()
    settings.DEMO_SHOP_PROGRAM_SLUGS = [program.slug]

    # when
    response = client.get("/demo/shop/", {"program": program.slug, "customer": "c-1"})

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert 'src="/static/loyalty/widget.js"' in html
    assert f'data-program="{program.public_key}"' in html
    assert f'data-digest="{customer_digest(program=program, customer_id="c-1")}"' in html
    assert program.digest_secret not in html


def test_a_guest_page_carries_no_shopper(client, settings):
    # given
    program = ProgramFactory()
    settings.DEMO_SHOP_PROGRAM_SLUGS = [program.slug]

    # when
    html = client.get("/demo/shop/", {"program": program.slug}).content.decode()

    # then
    assert "data-digest" not in html


def test_the_demo_shop_never_signs_shoppers_into_a_real_program(client, settings):
    # given: a merchant's program, not listed as a demo
    program = ProgramFactory()
    settings.DEMO_SHOP_PROGRAM_SLUGS = ["demo"]

    # when
    response = client.get("/demo/shop/", {"program": program.slug, "customer": "c-1"})

    # then
    assert response.status_code == 404


def test_widget_js_stays_small():
    # given
    from pathlib import Path

    source = Path(__file__).resolve().parents[2] / "static" / "loyalty" / "widget.js"

    # then: under the 30 KB target even before minification
    assert source.stat().st_size < 30_000
