from django.urls import path

from accounts import quality_views, views
from accounts.compliance import views as compliance

app_name = "accounts"

urlpatterns = [
    path("", views.retailer_list_view, name="retailer-list"),
    path("count/", views.retailer_count_view, name="retailer-count"),
    path("export.csv", views.retailer_export_view, name="retailer-export"),
    path("export.xlsx", views.retailer_export_view, {"fmt": "xlsx"}, name="retailer-export-xlsx"),
    path("new/", views.retailer_create_view, name="retailer-create"),
    path("quality/", quality_views.quality_view, name="quality"),
    path("duplicates/<int:pk>/", quality_views.duplicate_decide_view, name="duplicate-decide"),
    path("duplicates/scan/", quality_views.duplicate_scan_view, name="duplicate-scan"),
    path("<int:pk>/", views.retailer_detail_view, name="retailer-detail"),
    path("<int:pk>/edit/", views.retailer_update_view, name="retailer-update"),
    path("<int:pk>/reveal/<str:field>/", views.retailer_reveal_view, name="retailer-reveal"),
    path("<int:pk>/consent/", views.retailer_consent_view, name="retailer-consent"),
    path("<int:pk>/violations/", compliance.retailer_violations_view, name="retailer-violations"),
    path("violations/", compliance.violation_list_view, name="violation-list"),
    path("violations/new/", compliance.violation_create_view, name="violation-create"),
    path("violations/<int:pk>/void/", compliance.violation_void_view, name="violation-void"),
    path("credit-rule/", compliance.credit_rule_view, name="credit-rule"),
]
