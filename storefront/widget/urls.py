from django.urls import path

from storefront.widget import views

urlpatterns = [
    path("program", views.WidgetProgramApi.as_view(), name="widget-program"),
    path("me", views.WidgetMeApi.as_view(), name="widget-me"),
    path("me/redemptions", views.WidgetRedemptionCreateApi.as_view(), name="widget-redemptions"),
    path("points-preview", views.WidgetPointsPreviewApi.as_view(), name="widget-points-preview"),
]
