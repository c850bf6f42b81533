"""`/r/{code}`: the referral landing page and the friend's claim."""

from django.urls import path

from referrals import views

urlpatterns = [
    path("r/<str:code>", views.referral_landing, name="referral-landing"),
    path("r/<str:code>/", views.referral_landing),
    path("r/<str:code>/claim", views.referral_claim_submit, name="referral-claim"),
]
