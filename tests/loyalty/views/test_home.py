import pytest
from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns
from tests.factories import ProgramFactory


def _page(request, slug):
    return HttpResponse(slug)


# The site as it is once the portal and the demo shop exist (tests below opt in with `pytest.mark.urls`).
urlpatterns = [
    *site_urlpatterns,
    path("p/<slug:slug>/", _page),
    path("demo/shop/", _page, {"slug": "shop"}),
]


@pytest.mark.django_db
def test_home_explains_the_product_and_links_admin_and_api_docs(client, django_assert_num_queries):
    # given no demo program
    # when the home page is opened
    with django_assert_num_queries(1):
        response = client.get("/")
    # then it explains the product and links the admin and the API docs, but no demo
    html = response.content.decode()
    assert response.status_code == 200
    assert "points" in html.lower()
    assert 'href="/admin/"' in html
    assert 'href="/api/docs/"' in html
    assert "/p/demo/" not in html
    assert "No demo program is loaded here" in html


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_home_links_the_demo_portal_and_shop_when_they_exist(client):
    # given the demo program, with the portal and the demo shop served
    ProgramFactory(slug="demo", name="Bean There Rewards")
    # when the home page is opened
    response = client.get("/")
    # then it names the demo and links its portal and shop
    html = response.content.decode()
    assert "Bean There Rewards" in html
    assert 'href="/p/demo/"' in html
    assert 'href="/demo/shop/"' in html


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_home_links_the_demo_programs_own_shop_url(client):
    # given a demo program whose program file names its shop
    ProgramFactory(slug="demo", shop_url="https://shop.example.com/")
    # when the home page is opened
    html = client.get("/").content.decode()
    # then the shop link goes there
    assert 'href="https://shop.example.com/"' in html
    assert 'href="/demo/shop/"' not in html


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_home_never_calls_itself_the_demo_shop(client):
    # given a demo program whose shop_url is this site's root
    ProgramFactory(slug="demo", shop_url="http://127.0.0.1:8000/")
    # when the home page is opened
    html = client.get("/").content.decode()
    # then the shop link goes to the demo shop page instead
    assert 'href="http://127.0.0.1:8000/"' not in html
    assert 'href="/demo/shop/"' in html


@pytest.mark.django_db
@pytest.mark.urls("tests.loyalty.views.bare_urls")
def test_home_hides_demo_links_to_pages_the_site_does_not_serve(client):
    # given the demo program on a site that serves neither the portal nor the demo shop
    ProgramFactory(slug="demo")
    # when the home page is opened
    html = client.get("/").content.decode()
    # then no link leads to a 404
    assert "/p/demo/" not in html
    assert "/demo/shop/" not in html


@pytest.mark.django_db
def test_home_is_right_to_left_in_arabic(client):
    # given a shopper reading Arabic
    # when the home page is opened
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ar")
    # then the page is laid out right to left
    assert 'dir="rtl"' in response.content.decode()
