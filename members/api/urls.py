from django.urls import path

from members.api import batch_views, order_front, tier_views, views

urlpatterns = [
    path("orders", order_front.order_record, name="order-record"),  # first: the busiest call of the API
    path("members", views.MemberUpsertApi.as_view(), name="member-upsert"),
    path("members/<str:customer_id>", views.MemberDetailApi.as_view(), name="member-detail"),
    path(
        "members/<str:customer_id>/transactions",
        views.MemberTransactionListApi.as_view(),
        name="member-transactions",
    ),
    path(
        "members/<str:customer_id>/adjustments",
        views.MemberAdjustmentCreateApi.as_view(),
        name="member-adjustments",
    ),
    path("members/<str:customer_id>/tier", tier_views.MemberTierAssignApi.as_view(), name="member-tier"),
    path("orders/batch", batch_views.OrderBatchRecordApi.as_view(), name="order-batch-record"),
    path("orders/<str:order_id>/refunds", views.OrderRefundCreateApi.as_view(), name="order-refunds"),
    path("events", views.EventRecordApi.as_view(), name="event-record"),
]
