"""Top-level URLs: the API, the admin, the portal pages and the OpenAPI docs."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from loyalty.views import home

handler404 = "loyalty.api.errors.api_not_found"
handler500 = "loyalty.api.errors.api_server_error"

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("", include("loyalty.observability.urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/widget/v1/", include("storefront.widget.urls")),
    path("webhooks/shopify/", include("storefront.shopify.urls")),
    path("", include("storefront.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("", include("referrals.urls")),
    path("", include("members.portal.urls")),
    path("", include("donations.urls")),
    path("", include("challenges.urls")),
]
