from django.urls import path

from challenges.api import WidgetChallengesApi
from donations.widget import WidgetDonationsApi
from storefront.widget import views

urlpatterns = [
    path("program", views.WidgetProgramApi.as_view(), name="widget-program"),
    path("me", views.widget_me, name="widget-me"),
    path("me/redemptions", views.WidgetRedemptionCreateApi.as_view(), name="widget-redemptions"),
    path("me/challenges", WidgetChallengesApi.as_view(), name="widget-challenges"),
    path("me/donations", WidgetDonationsApi.as_view(), name="widget-donations"),
    path("points-preview", views.WidgetPointsPreviewApi.as_view(), name="widget-points-preview"),
]
