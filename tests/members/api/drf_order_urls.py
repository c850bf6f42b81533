"""The project's URLs with `POST /api/v1/orders` served by `OrderRecordApi` alone, without the view in front of it:
the reference the front view's answers are compared with (tests/members/api/test_order_front.py)."""

from django.urls import path

from config.urls import urlpatterns as project_urlpatterns
from members.api.views import OrderRecordApi

urlpatterns = [path("api/v1/orders", OrderRecordApi.as_view(), name="order-record"), *project_urlpatterns]
