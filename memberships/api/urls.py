from django.urls import path

from memberships.api import views

urlpatterns = [
    path("memberships/events", views.MembershipEventRecordApi.as_view(), name="membership-event-record"),
]
