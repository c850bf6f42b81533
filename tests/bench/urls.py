"""The site's URLs plus the two baselines the order API is measured against."""

from django.urls import path

from config import urls as site_urls
from tests.bench import views

handler404 = site_urls.handler404
handler500 = site_urls.handler500

urlpatterns = [
    path("bench/json", views.bare_json),
    path("bench/insert", views.bare_insert),
    *site_urls.urlpatterns,
]
