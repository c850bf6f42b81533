from django.urls import path

from storefront import views

urlpatterns = [
    path("demo/shop/", views.demo_shop, name="demo-shop"),
]
