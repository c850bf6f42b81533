"""The site with only its home page: no portal, no demo shop."""

from django.urls import path

from loyalty.views import home

urlpatterns = [path("", home)]
