from django.urls import path

from loyalty import views

app_name = "loyalty"

urlpatterns = [
    path("", views.loyalty_home_view, name="home"),
    path("liability/", views.liability_view, name="liability"),
    path("coupons/redeem/", views.coupon_redeem_view, name="coupon-redeem"),
    path("retailers/<int:pk>/points/", views.retailer_points_view, name="retailer-points"),
    path("retailers/<int:pk>/points/redeem/", views.retailer_redeem_view, name="retailer-redeem"),
    path("retailers/<int:pk>/points/refer/", views.retailer_referral_create_view, name="retailer-refer"),
    path("retailers/<int:pk>/statement/", views.retailer_statement_view, name="retailer-statement"),
    path(
        "redemptions/<int:pk>/<str:action>/",
        views.redemption_action_view,
        name="redemption-action",
    ),
    # the retailer's own page: a signed link, no login
    path("m/<str:token>/", views.retailer_link_view, name="link"),
    path("m/<str:token>/redeem/", views.retailer_link_redeem_view, name="link-redeem"),
]
