from django.urls import path

from referrals.api import views

urlpatterns = [
    path("referrals/stats", views.ReferralStatsApi.as_view(), name="referral-stats"),
    path("members/<str:customer_id>/referrals", views.MemberReferralsApi.as_view(), name="member-referrals"),
]
