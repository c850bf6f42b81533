from django.urls import path

from storefront.shopify import views

urlpatterns = [
    path("<str:public_key>/", views.shopify_webhook, name="shopify-webhook"),
]
