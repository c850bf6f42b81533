from django.urls import path

from rewards.api import views

urlpatterns = [
    path("rewards", views.RewardListApi.as_view(), name="reward-list"),
    path("members/<str:customer_id>/vouchers", views.MemberVoucherListApi.as_view(), name="member-vouchers"),
    path("members/<str:customer_id>/redemptions", views.RedemptionCreateApi.as_view(), name="member-redemptions"),
    path(
        "members/<str:customer_id>/checkout-discounts",
        views.CheckoutDiscountCreateApi.as_view(),
        name="member-checkout-discounts",
    ),
    path(
        "members/<str:customer_id>/checkout-discount-options",
        views.CheckoutDiscountOptionsApi.as_view(),
        name="member-checkout-discount-options",
    ),
    path("vouchers/<str:code>", views.VoucherDetailApi.as_view(), name="voucher-detail"),
    path("vouchers/<str:code>/consume", views.VoucherConsumeApi.as_view(), name="voucher-consume"),
    path("vouchers/<str:code>/cancel", views.VoucherCancelApi.as_view(), name="voucher-cancel"),
]
