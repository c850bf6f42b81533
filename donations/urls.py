"""Portal pages of donations, beside the portal's own under `/p/{slug}/`."""

from django.urls import path

from donations import views

app_name = "donations"

urlpatterns = [
    path("p/<slug:slug>/donate/", views.causes, name="causes"),
    path("p/<slug:slug>/donate/<int:cause_id>/", views.donate, name="donate"),
]
