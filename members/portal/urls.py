"""`/p/{slug}/…`: the member portal."""

from django.urls import path

from members.portal import views

app_name = "portal"

urlpatterns = [
    path("p/<slug:slug>/", views.landing, name="landing"),
    path("p/<slug:slug>/sign-in/", views.sign_in, name="sign-in"),
    path("p/<slug:slug>/sign-in/<str:token>/", views.magic_link, name="magic-link"),
    path("p/<slug:slug>/sso", views.single_sign_on, name="sso"),
    path("p/<slug:slug>/sign-out/", views.sign_out, name="sign-out"),
    path("p/<slug:slug>/me/", views.dashboard, name="dashboard"),
    path("p/<slug:slug>/history/", views.history, name="history"),
    path("p/<slug:slug>/rewards/", views.rewards, name="rewards"),
    path("p/<slug:slug>/rewards/<int:reward_id>/redeem/", views.redeem, name="redeem"),
    path("p/<slug:slug>/referral/", views.referral, name="referral"),
    path("p/<slug:slug>/profile/", views.profile, name="profile"),
    path("p/<slug:slug>/card/", views.card, name="card"),
    path("p/<slug:slug>/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
