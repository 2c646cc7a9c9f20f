"""The REST API: authentication, paging, errors and throttling (Django REST framework), and its OpenAPI schema."""

REST_FRAMEWORK = {
    # Token first: an anonymous call is answered 401 with `WWW-Authenticate: Token` (the first class names the
    # scheme; a session alone has none to name and would make it a 403)
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.api_auth.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.ApiSchema",
    # every list is paged one way; a view that answers a bounded report (≤ a few dozen rows) says so with
    # `pagination_class = None` and a comment giving the bound
    "DEFAULT_PAGINATION_CLASS": "core.pagination.CursorPage",
    "EXCEPTION_HANDLER": "crm.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"user": "600/minute"},
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "烟草零售客户 CRM API",
    "DESCRIPTION": "Retailer records, scoped to the caller's territory. Token or session authentication.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # the schema names every field of the retailers' records: for logged-in staff and integrations only
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "campaigns.webhook_schema.gateway_webhooks",  # the gateway's signed webhooks are plain views
    ],
    # two API models have a "kind" with different choices: name both, so neither gets a hashed name
    "ENUM_NAME_OVERRIDES": {
        "KindEnum": "accounts.imports.models.ImportJob.Kind",
        "RecommendationKindEnum": "segmentation.ml.models.Recommendation.Kind",
        # sms/email (consent events and campaigns share the values) and how a redemption was made
        "MessageChannelEnum": "campaigns.models.Channel",
        "RedemptionChannelEnum": "loyalty.rewards.models.Redemption.Channel",
        # complaints (feedback)
        "ComplaintChannelEnum": "feedback.complaints.models.Complaint.Channel",
        "ComplaintKindEnum": "feedback.complaints.models.Complaint.Kind",
        "ComplaintStatusEnum": "feedback.complaints.models.Complaint.Status",
        "ComplaintPriorityEnum": "feedback.complaints.models.Priority",
        "ComplaintEventKindEnum": "feedback.complaints.models.ComplaintEvent.Kind",
        "NotificationKindEnum": "feedback.complaints.notifications.models.Notification.Kind",
        # personal-information requests (privacy)
        "PrivacyRequestKindEnum": "privacy.models.PrivacyRequest.Kind",
        "PrivacyRequestChannelEnum": "privacy.models.PrivacyRequest.Channel",
    },
}
