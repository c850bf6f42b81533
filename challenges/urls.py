"""`/p/{slug}/challenges/` and `/p/{slug}/leaderboard/`: portal pages of the challenges app."""

from django.urls import path

from challenges import views

app_name = "challenges"

urlpatterns = [
    path("p/<slug:slug>/challenges/", views.challenges, name="challenges"),
    path("p/<slug:slug>/leaderboard/", views.leaderboard, name="leaderboard"),
    path("p/<slug:slug>/leaderboard/opt-in/", views.leaderboard_opt_in, name="leaderboard-opt-in"),
]
