"""Routes that answer without a login, mounted at the site root by crm.urls: short links in messages and the
gateway's webhooks."""

from django.urls import path

from campaigns import public_views

urlpatterns = [
    path("u/<str:code>", public_views.unsubscribe_view, name="campaigns-unsubscribe"),
    path("l/<str:code>", public_views.click_view, name="campaigns-click"),
    path(
        "api/v1/webhooks/sms/receipts/", public_views.sms_receipts_webhook, name="campaigns-webhook-receipts"
    ),
    path("api/v1/webhooks/sms/replies/", public_views.sms_replies_webhook, name="campaigns-webhook-replies"),
]
