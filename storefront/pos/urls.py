from django.urls import path

from storefront.pos import views

urlpatterns = [
    path("pos/members", views.PosMemberLookupApi.as_view(), name="pos-member-lookup"),
    path("pos/purchases", views.PosPurchaseRecordApi.as_view(), name="pos-purchases"),
    path("pos/redemptions", views.PosRedemptionCreateApi.as_view(), name="pos-redemptions"),
]
