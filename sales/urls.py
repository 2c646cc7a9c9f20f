from django.urls import path

from sales import views

app_name = "sales"

urlpatterns = [
    path("retailers/<int:pk>/purchases/", views.retailer_purchases_view, name="retailer-purchases"),
    path("retailers/without-orders/", views.retailers_without_orders_view, name="without-orders"),
]
