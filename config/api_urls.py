"""The server API `/api/v1/`: each app contributes its own routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("members.api.urls")),
    path("", include("rewards.api.urls")),
    path("", include("referrals.api.urls")),
    path("", include("storefront.pos.urls")),
    path("", include("memberships.api.urls")),
]
