from django.urls import path

from sales import views
from sales.allocation import views as allocation

app_name = "sales"

urlpatterns = [
    path("retailers/<int:pk>/purchases/", views.retailer_purchases_view, name="retailer-purchases"),
    path("retailers/without-orders/", views.retailers_without_orders_view, name="without-orders"),
    path("retailers/<int:pk>/allowance/", allocation.retailer_allowance_view, name="retailer-allowance"),
    path("allocation/", allocation.plan_list_view, name="allocation-list"),
    path("allocation/new/", allocation.plan_create_view, name="allocation-create"),
    path("allocation/fill-rate/", allocation.fill_rate_view, name="allocation-fill-rate"),
    path("allocation/excess/", allocation.excess_list_view, name="allocation-excess"),
    path("allocation/<int:pk>/", allocation.plan_detail_view, name="allocation-detail"),
    path("allocation/<int:pk>/edit/", allocation.plan_edit_view, name="allocation-edit"),
    path("allocation/<int:pk>/publish/", allocation.plan_publish_view, name="allocation-publish"),
    path("allocation/<int:pk>/new-version/", allocation.plan_new_version_view, name="allocation-new-version"),
]
